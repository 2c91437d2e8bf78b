/* The case page's Knowledge panel: "Attach to reply" puts the article's title and link into the
   reply to the caller and adds the article's id to that form, so the case records it when the
   reply is sent. Without this script the button asks for the page with a pre-filled reply. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("knowledge-panel");
    if (!panel) {
      return;
    }
    var reply = document.getElementById(panel.getAttribute("data-kb-reply-form") || "");
    var box = reply && reply.querySelector("textarea[name='body']");
    var status = panel.querySelector(".console-knowledge-status");
    if (!reply || !box) {
      return;
    }
    panel.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-kb-article]");
      if (!button) {
        return;
      }
      event.preventDefault();
      var id = button.getAttribute("data-kb-article");
      var text = button.getAttribute("data-kb-reply-text");
      var selector = "input[name='knowledge_article'][value='" + id + "']";
      if (!reply.querySelector(selector)) {
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = "knowledge_article";
        field.value = id;
        reply.appendChild(field);
      }
      if (box.value.indexOf(text) === -1) {
        box.value = box.value.replace(/\s*$/, "") + (box.value.trim() ? "\n\n" : "") + text;
      }
      box.focus();
      if (status) {
        status.textContent = "Added to your reply to the caller.";
      }
    });
  });
})();
