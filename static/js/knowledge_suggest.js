/* Self-help while raising a case: as the subject is typed, suggest knowledge articles that may
   answer it, in the form's live region. The ids shown and opened go back with the form in its
   hidden fields, so the case records them. The form works the same without this script. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 350;
  var MIN_CHARS = 3;

  function setup(region) {
    var form = region.closest("form");
    var subject = document.getElementById(region.getAttribute("data-kb-subject"));
    var shownField = form && form.querySelector("[data-kb-shown]");
    var openedField = form && form.querySelector("[data-kb-opened]");
    if (!form || !subject || !shownField || !openedField || !window.fetch) {
      return;
    }
    var suggestUrl = region.getAttribute("data-kb-suggest");
    var openedUrl = region.getAttribute("data-kb-opened");
    var csrf = form.querySelector("input[name='csrfmiddlewaretoken']");
    var shown = splitIds(shownField.value);
    var opened = splitIds(openedField.value);
    var timer = null;
    var lastQuery = "";
    var lastShown = "";
    var sequence = 0;

    function splitIds(value) {
      return (value || "").split(",").filter(function (id) { return /^\d+$/.test(id); });
    }

    function remember(list, field, id) {
      if (list.indexOf(id) === -1) {
        list.push(id);
        field.value = list.join(",");
      }
    }

    function plain(snippet) {
      /* The snippet may carry highlight tags; the region shows it as text. */
      return String(snippet || "").replace(/<\/?mark>/g, "");
    }

    function render(results) {
      var key = results.map(function (r) { return r.id; }).join(",");
      if (key === lastShown) {
        return;
      }
      lastShown = key;
      region.textContent = "";
      if (!results.length) {
        return;
      }
      var panel = document.createElement("div");
      panel.className = "article-suggestions__panel";
      var title = document.createElement("p");
      title.className = "article-suggestions__title";
      title.id = "article-suggestions-title";
      title.textContent = results.length === 1
        ? "1 article may answer this before you raise a case:"
        : results.length + " articles may answer this before you raise a case:";
      var list = document.createElement("ul");
      list.className = "article-suggestions__list";
      list.setAttribute("aria-labelledby", title.id);
      results.forEach(function (result) {
        var id = String(result.id);
        remember(shown, shownField, id);
        var item = document.createElement("li");
        item.className = "article-suggestions__item";
        var link = document.createElement("a");
        link.href = result.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.setAttribute("data-kb-article", id);
        link.textContent = result.number + " " + result.title;
        var hint = document.createElement("span");
        hint.className = "visually-hidden";
        hint.textContent = " (opens in a new tab; your form stays here)";
        link.appendChild(hint);
        item.appendChild(link);
        if (result.snippet) {
          var snippet = document.createElement("span");
          snippet.className = "article-suggestions__snippet";
          snippet.textContent = plain(result.snippet);
          item.appendChild(snippet);
        }
        list.appendChild(item);
      });
      panel.appendChild(title);
      panel.appendChild(list);
      region.appendChild(panel);
    }

    function ask() {
      var query = subject.value.trim();
      if (query === lastQuery) {
        return;
      }
      lastQuery = query;
      if (query.length < MIN_CHARS) {
        render([]);
        return;
      }
      var mine = ++sequence;
      fetch(suggestUrl + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          if (mine === sequence) {
            render(data.results || []);
          }
        })
        .catch(function () { /* No suggestions this time; the form is unaffected. */ });
    }

    function markOpened(event) {
      var link = event.target.closest("a[data-kb-article]");
      if (!link) {
        return;
      }
      var id = link.getAttribute("data-kb-article");
      remember(opened, openedField, id);
      var body = new URLSearchParams();
      body.append("article", id);
      fetch(openedUrl, {
        method: "POST",
        credentials: "same-origin",
        keepalive: true,
        headers: { "X-CSRFToken": csrf ? csrf.value : "" },
        body: body
      }).catch(function () { /* The case still records it as opened. */ });
    }

    subject.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DEBOUNCE_MS);
    });
    region.addEventListener("click", markOpened);
    region.addEventListener("auxclick", markOpened);
    if (subject.value.trim()) {
      ask();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var regions = document.querySelectorAll("[data-kb-suggest]");
    Array.prototype.forEach.call(regions, setup);
  });
})();
