/* MHHS Service Desk portal: small progressive enhancements. Every page works without it. */
(function () {
  "use strict";

  /* Move focus to the error summary so screen-reader and keyboard users hear what to fix,
     and make its links focus the field itself (not just scroll to it). */
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target) {
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        target.focus();
      }
    });
  }

  /* "I do not have a party ID" disables the Party ID field while it is ticked (§3.2). */
  function linkPartyIdCheckbox() {
    var boxes = document.querySelectorAll("input[type='checkbox'][data-disables]");
    Array.prototype.forEach.call(boxes, function (box) {
      var target = document.getElementById(box.getAttribute("data-disables"));
      if (!target) {
        return;
      }
      box.addEventListener("change", function () {
        target.disabled = box.checked;
        if (box.checked) {
          target.value = "";
        }
      });
      /* After a server round trip keep a typed ID visible, so the error about it makes sense. */
      target.disabled = box.checked && target.value === "";
    });
  }

  /* List the files chosen in a multiple file input, so the choice can be checked. */
  function describeChosenFiles() {
    var inputs = document.querySelectorAll("input[type='file'][multiple]");
    Array.prototype.forEach.call(inputs, function (input) {
      var note = document.createElement("p");
      note.className = "field__hint";
      note.id = input.id + "_chosen";
      note.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", note);
      input.addEventListener("change", function () {
        var names = Array.prototype.map.call(input.files, function (file) {
          return file.name;
        });
        note.textContent = names.length
          ? names.length + (names.length === 1 ? " file chosen: " : " files chosen: ") + names.join(", ")
          : "";
      });
    });
  }

  /* Stop a second click sending the same form twice (a comment or a case posted twice). */
  function preventDoubleSubmit() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.getAttribute("data-submitted") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitted", "true");
      window.setTimeout(function () {
        form.removeAttribute("data-submitted");
      }, 5000);
    });
  }

  /* Ask before a destructive action (revoking a token): forms carry their question in
     data-confirm. Capturing runs it before the double-submit guard marks the form sent. */
  function confirmDestructive() {
    document.addEventListener(
      "submit",
      function (event) {
        var question = event.target.getAttribute("data-confirm");
        if (question && !window.confirm(question)) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      },
      true
    );
  }

  /* A freshly created secret is shown once: focus it, selected, ready to copy. */
  function focusNewSecret() {
    var panel = document.querySelector("[data-focus-on-load]");
    var input = panel && panel.querySelector("input[readonly]");
    if (input) {
      input.focus();
      input.select();
    }
  }

  function ready(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  ready(function () {
    focusErrorSummary();
    linkPartyIdCheckbox();
    describeChosenFiles();
    confirmDestructive();
    preventDoubleSubmit();
    focusNewSecret();
  });
})();
