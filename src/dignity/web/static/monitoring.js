/* Keyboard shortcuts of the monitoring pages (the alert queue and one alert).

   They only move the focus, tick boxes and press the pages' own forms: everything also works
   without this script. No shortcut fires while typing in a field, or with Ctrl, Alt or Meta held
   (Esc leaves a field). Queue: j/k next/previous alert, x select, Enter/o open, t true match,
   f false positive (choose the reason, Enter), n needs information (write, Ctrl+Enter), ? help.
   Alert page: t, f, n and ? likewise. */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function announce(text) {
    var region = document.getElementById("queue-announce");
    if (region) region.textContent = text;
  }

  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (!help) return;
    help.open = !help.open;
    if (help.open) help.querySelector("summary").focus();
  }

  function submit(form) {
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  }

  // Enter on a chosen reason sends its form; Ctrl+Enter (or Cmd+Enter) sends a note's form.
  function wireFields() {
    document.querySelectorAll("#bulk-reason, #fp-reason").forEach(function (select) {
      select.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && select.value) {
          event.preventDefault();
          submit(select.form);
        }
      });
    });
    document.querySelectorAll("#bulk-note, #fp-note, #ni-note").forEach(function (note) {
      note.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          submit(note.form);
        }
      });
    });
  }

  // --- the queue ------------------------------------------------------------------------------
  function queue(bulk) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.queue-row"));
    var current = -1;

    function label(row) {
      var cells = row.querySelectorAll("td bdi");
      var parts = [];
      cells.forEach(function (cell) { parts.push(cell.textContent); });
      return parts.join(", ");
    }

    function focusRow(index) {
      if (!rows.length) return;
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
      rows[current].focus();
    }

    function box(row) {
      return row.querySelector("input[type=checkbox][name=alert]");
    }

    function selected() {
      return rows.filter(function (row) { var b = box(row); return b && b.checked; });
    }

    function mark(row) {
      var b = box(row);
      row.classList.toggle("selected", !!(b && b.checked));
    }

    function currentRow() {
      if (current < 0) focusRow(0);
      return rows[current];
    }

    function chooseForBulk(decision, fieldId) {
      if (!rows.length) return;
      if (!selected().length) {
        var row = currentRow();
        var b = box(row);
        if (b) { b.checked = true; mark(row); }
      }
      var radio = document.getElementById(decision === "false_positive" ? "bulk-fp" : "bulk-ni");
      if (radio) radio.checked = true;
      var field = document.getElementById(fieldId);
      if (field) {
        field.focus();
        field.scrollIntoView({ block: "center" });
      }
      var count = selected().length;
      announce((decision === "false_positive" ? "False positive for " : "Needs information for ") +
        count + (count === 1 ? " alert: " : " alerts: ") +
        (decision === "false_positive" ? "choose the reason, then Enter." : "write the note, then Control Enter."));
    }

    function trueMatch() {
      var row = currentRow();
      if (!row) return;
      var token = bulk.querySelector("input[name=csrf_token]");
      var form = document.createElement("form");
      form.method = "post";
      form.action = "/monitoring/alerts/" + encodeURIComponent(row.dataset.alert) + "/decide";
      var fields = {
        csrf_token: token ? token.value : "",
        decision: "true_match",
        revision: row.dataset.revision,
        to: "queue",
        back: bulk.dataset.back || ""
      };
      Object.keys(fields).forEach(function (name) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = fields[name];
        form.appendChild(input);
      });
      document.body.appendChild(form);
      announce("True match: " + label(row));
      form.submit();
    }

    rows.forEach(function (row, i) {
      row.addEventListener("focus", function () {
        current = i;
        rows.forEach(function (other, j) { other.classList.toggle("current", j === i); });
      });
      var b = box(row);
      if (b) b.addEventListener("change", function () { mark(row); });
      mark(row);
    });

    return function (event) {
      var key = event.key;
      if (key === "j") {
        event.preventDefault();
        var onRow = current >= 0 && rows[current] === document.activeElement;
        focusRow(current < 0 ? 0 : onRow ? current + 1 : current);
      } else if (key === "k") {
        event.preventDefault();
        focusRow(current < 0 ? 0 : current - 1);
      } else if (key === "x") {
        var row = currentRow();
        var b = row && box(row);
        if (b) {
          event.preventDefault();
          b.checked = !b.checked;
          mark(row);
          var count = selected().length;
          announce((b.checked ? "Selected: " : "Not selected: ") + label(row) + ". " + count + " selected.");
        }
      } else if ((key === "Enter" && event.target.classList.contains("queue-row")) || key === "o") {
        var open = rows.length && currentRow().querySelector("a.open-alert");
        if (open) {
          event.preventDefault();
          window.location.assign(open.href);
        }
      } else if (key === "t" && rows.length && box(rows[0])) {
        event.preventDefault();
        trueMatch();
      } else if (key === "f" && document.getElementById("bulk-reason")) {
        event.preventDefault();
        chooseForBulk("false_positive", "bulk-reason");
      } else if (key === "n" && document.getElementById("bulk-note")) {
        event.preventDefault();
        chooseForBulk("needs_info", "bulk-note");
      } else {
        return false;
      }
      return true;
    };
  }

  // --- one alert ------------------------------------------------------------------------------
  function alertPage() {
    return function (event) {
      var key = event.key;
      var form;
      if (key === "t" && (form = document.getElementById("decide-true_match"))) {
        event.preventDefault();
        submit(form);
      } else if (key === "f" && document.getElementById("fp-reason")) {
        event.preventDefault();
        document.getElementById("fp-reason").focus();
      } else if (key === "n" && document.getElementById("ni-note")) {
        event.preventDefault();
        document.getElementById("ni-note").focus();
      } else {
        return false;
      }
      return true;
    };
  }

  function start() {
    wireFields();
    var bulk = document.getElementById("bulk");
    var handle = bulk ? queue(bulk) : alertPage();
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
      if (typing(event.target)) {
        if (event.key === "Escape") event.target.blur();
        return;
      }
      if (event.key === "?") {
        event.preventDefault();
        toggleHelp();
        return;
      }
      handle(event);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
