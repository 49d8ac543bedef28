/* Ticks that keep your place: a checklist tick, untick or N/A swaps the whole phase panel (htmx),
   which would drop keyboard focus to the page. Remember the row that sent the request and, once
   the new panel is in, put focus back on that row's button (now "Untick", or "Tick" again). */
(function () {
  "use strict";
  var rowId = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(".checklist-item");
    rowId = row ? row.id : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!rowId) return;
    var row = document.getElementById(rowId);
    rowId = null;
    if (!row) return;
    var target = row.querySelector(".checklist-action button, button");
    if (!target) {
      // Nothing left to press in this row (e.g. ticked by someone whose tick you may not undo).
      row.setAttribute("tabindex", "-1");
      target = row;
    }
    target.focus();
  });
})();
