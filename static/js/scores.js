/* Spasticity scores in fewer taps (progressive enhancement: the form works without this file).
 *
 * - "Both": each muscle group's row that gives one grade to the left and the right side at once.
 *   A tap chooses that grade in both side rows, which are what the form sends (the "Both" radios
 *   belong to an empty form that is never sent); the row then shows the grade while the two
 *   sides agree and nothing when they differ, so a side changed afterwards is never hidden.
 * - "Same as baseline" for the Penn scale (post-dose form): chooses the baseline's frequency and
 *   severity in the two Penn rows, and shows as pressed while they say the same.
 * Nothing is chosen by this file unless the user taps: the rows start as the server drew them. */
(function () {
  "use strict";

  function radios(name) {
    return document.querySelectorAll('input[type="radio"][name="' + name + '"]');
  }

  function chosen(name) {
    var input = document.querySelector('input[type="radio"][name="' + name + '"]:checked');
    return input ? input.value : null;
  }

  function choose(name, value) {
    radios(name).forEach(function (input) {
      if (input.value === value) input.checked = true;
    });
  }

  function bothSides(row) {
    var group = row.dataset.both;
    var sides = ["mas_" + group + "_left", "mas_" + group + "_right"];
    var both = radios("both_" + group);
    function mirror() {
      var left = chosen(sides[0]);
      var same = left !== null && left === chosen(sides[1]);
      both.forEach(function (input) { input.checked = same && input.value === left; });
    }
    both.forEach(function (input) {
      input.addEventListener("change", function () {
        if (!input.checked) return;
        sides.forEach(function (name) { choose(name, input.value); });
        mirror();
      });
    });
    sides.forEach(function (name) {
      radios(name).forEach(function (input) { input.addEventListener("change", mirror); });
    });
    mirror();
    row.hidden = false;
  }

  function pennSame(button) {
    var frequency = button.dataset.frequency;
    var severity = button.dataset.severity;  // "" when the baseline had no spasms
    function pressed() {
      var same = chosen("penn_frequency") === frequency && (chosen("penn_severity") || "") === severity;
      button.setAttribute("aria-pressed", same ? "true" : "false");
      button.classList.toggle("active", same);
    }
    button.addEventListener("click", function () {
      choose("penn_frequency", frequency);
      choose("penn_severity", severity);
      pressed();
    });
    ["penn_frequency", "penn_severity"].forEach(function (name) {
      radios(name).forEach(function (input) { input.addEventListener("change", pressed); });
    });
    pressed();
    button.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-both]").forEach(bothSides);
    document.querySelectorAll("button[data-penn-same]").forEach(pennSame);
    document.querySelectorAll(".mas-both-hint").forEach(function (hint) { hint.hidden = false; });
  });
})();
