/* Documentation forms, made quicker to fill in. Everything works without this script: the server
   keeps only the sub-form of the chosen act type, ignores the part of a person choice that is not
   chosen, and adds a perpetrator row when "Add another perpetrator" is posted.

   With it: only the sub-form of the chosen act type shows; a person choice shows the chosen part
   (a recorded person, or a new one); "Add another perpetrator" adds the row in the page; and what
   is typed is kept as a draft in this tab (sessionStorage, never sent anywhere) until the form is
   sent, so that a closed or reloaded page can be restored. */
(function () {
  "use strict";

  var ROW = /^perpetrators\.(\d+)\./;

  // --- the sub-form of the act type ---------------------------------------------------------
  function wireSubforms(form) {
    var select = form.querySelector("select[name='act_type']");
    var box = form.querySelector("[data-subforms]");
    if (!select || !box) return;
    var hint = box.querySelector("[data-subforms-hint]");
    function update() {
      var chosen = select.value;
      var shown = 0;
      box.querySelectorAll("fieldset[data-subform]").forEach(function (fieldset) {
        var match = (fieldset.getAttribute("data-act-types") || "").split(" ").some(function (code) {
          return code && (chosen === code || chosen.indexOf(code + ".") === 0);
        });
        fieldset.hidden = !match;
        if (match) shown += 1;
      });
      if (hint) hint.hidden = true;
      box.hidden = shown === 0;
    }
    select.addEventListener("change", update);
    update();
  }

  // --- a recorded person or a new one -------------------------------------------------------
  function wireChoice(choice) {
    var radios = choice.querySelectorAll("input[type=radio][name$='.mode']");
    function update() {
      var mode = "new";
      radios.forEach(function (radio) { if (radio.checked) mode = radio.value; });
      choice.querySelectorAll("[data-mode]").forEach(function (part) {
        part.hidden = part.getAttribute("data-mode") !== mode;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  // --- perpetrator rows -----------------------------------------------------------------------
  function renumber(element, from, to) {
    ["name", "id", "for", "aria-describedby", "href"].forEach(function (attribute) {
      element.querySelectorAll("[" + attribute + "]").forEach(function (node) {
        var value = node.getAttribute(attribute);
        node.setAttribute(attribute, value.split("perpetrators." + from + ".").join("perpetrators." + to + "."));
      });
    });
  }

  function addRow(form, index) {
    var rows = form.querySelectorAll(".perpetrator-row");
    var last = rows[rows.length - 1];
    if (!last) return null;
    var from = last.getAttribute("data-row");
    var to = index !== undefined ? index : Number(from) + 1;
    var row = last.cloneNode(true);
    row.setAttribute("data-row", String(to));
    renumber(row, from, to);
    row.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
    row.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      var described = (node.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && !/-error$/.test(id);
      });
      if (described.length) node.setAttribute("aria-describedby", described.join(" "));
      else node.removeAttribute("aria-describedby");
    });
    row.querySelectorAll("input, select, textarea").forEach(function (control) {
      if (control.type === "radio") control.checked = control.value === "new";
      else if (control.tagName.toLowerCase() === "select") control.selectedIndex = 0;
      else control.value = "";
      control.removeAttribute("autofocus");
    });
    var legend = row.querySelector("legend");
    if (legend) legend.textContent = "Perpetrator " + (rows.length + 1);
    last.parentNode.insertBefore(row, last.nextSibling);
    row.querySelectorAll("[data-person-choice]").forEach(wireChoice);
    return row;
  }

  function wireRows(form) {
    var button = form.querySelector("[data-add-row]");
    if (!button) return;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var row = addRow(form);
      if (row) {
        var first = row.querySelector("input[type=radio]:checked, select, textarea");
        if (first) first.focus();
      }
    });
  }

  // --- drafts in this tab ---------------------------------------------------------------------
  var SKIP = { csrf_token: true, revision: true, action: true };

  function snapshot(form) {
    var values = [];
    form.querySelectorAll("input, select, textarea").forEach(function (control) {
      if (!control.name || SKIP[control.name] || control.type === "hidden") return;
      if (control.type === "checkbox" || control.type === "radio") {
        if (control.checked) values.push([control.name, control.value]);
      } else if (control.multiple) {
        Array.prototype.forEach.call(control.selectedOptions, function (option) {
          values.push([control.name, option.value]);
        });
      } else if (control.value) {
        values.push([control.name, control.value]);
      }
    });
    return values;
  }

  function restore(form, values) {
    values.forEach(function (pair) {
      var found = ROW.exec(pair[0]);
      if (found && !form.querySelector(".perpetrator-row[data-row='" + found[1] + "']")) {
        addRow(form, Number(found[1]));
      }
    });
    form.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(function (box) {
      if (!SKIP[box.name]) box.checked = false;
    });
    values.forEach(function (pair) {
      form.querySelectorAll("[name='" + pair[0].replace(/'/g, "") + "']").forEach(function (control) {
        if (control.type === "checkbox" || control.type === "radio") {
          if (control.value === pair[1]) control.checked = true;
        } else if (control.multiple) {
          Array.prototype.forEach.call(control.options, function (option) {
            if (option.value === pair[1]) option.selected = true;
          });
        } else {
          control.value = pair[1];
        }
      });
    });
    form.querySelectorAll("input, select").forEach(function (control) {
      control.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function wireDraft(form) {
    var key = "dignity-draft:" + form.getAttribute("data-draft");
    var storage;
    try { storage = window.sessionStorage; } catch (error) { return; }
    var saved = storage.getItem(key);
    // A page that came back with errors holds what was typed already: the draft is not needed.
    if (saved && !document.getElementById("form-error")) {
      var offer = document.createElement("div");
      offer.className = "notice draft-offer";
      offer.setAttribute("role", "status");
      offer.textContent = "This tab holds an unsaved draft of this form. ";
      var use = document.createElement("button");
      use.type = "button";
      use.textContent = "Restore the draft";
      var drop = document.createElement("button");
      drop.type = "button";
      drop.textContent = "Discard it";
      offer.appendChild(use);
      offer.appendChild(document.createTextNode(" "));
      offer.appendChild(drop);
      form.parentNode.insertBefore(offer, form);
      use.addEventListener("click", function () {
        try { restore(form, JSON.parse(saved)); } catch (error) { /* a damaged draft is dropped */ }
        offer.remove();
      });
      drop.addEventListener("click", function () { storage.removeItem(key); offer.remove(); });
    }
    var timer = null;
    function keep() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        try { storage.setItem(key, JSON.stringify(snapshot(form))); } catch (error) { /* full */ }
      }, 400);
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function () { clearTimeout(timer); storage.removeItem(key); });
  }

  function start() {
    document.querySelectorAll("form.doc-form").forEach(function (form) {
      wireSubforms(form);
      form.querySelectorAll("[data-person-choice]").forEach(wireChoice);
      wireRows(form);
      if (form.hasAttribute("data-draft")) wireDraft(form);
    });
    var summary = document.getElementById("form-error");
    if (summary && !document.querySelector("[autofocus]")) summary.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
