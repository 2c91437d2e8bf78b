/* The priority matrix (tickets/templatetags/priority_matrix.py) marks the cell of the impact
   and urgency chosen in the form around it, as the agent changes them, before saving. */
(function () {
    "use strict";

    function mark(form) {
        var impact = form.querySelector('select[name$="impact"]');
        var urgency = form.querySelector('select[name$="urgency"]');
        var matrix = form.querySelector("[data-priority-matrix]");
        if (!impact || !urgency || !matrix) {
            return;
        }
        matrix.querySelectorAll("td[data-impact]").forEach(function (cell) {
            var chosen = cell.dataset.impact === impact.value && cell.dataset.urgency === urgency.value;
            cell.classList.toggle("console-matrix-chosen", chosen);
            if (chosen) {
                cell.setAttribute("aria-current", "true");
            } else {
                cell.removeAttribute("aria-current");
            }
        });
    }

    document.addEventListener("change", function (event) {
        var target = event.target;
        if (target instanceof HTMLSelectElement && /(impact|urgency)$/.test(target.name) && target.form) {
            mark(target.form);
        }
    });
})();
