// Accessible names and list structure for the admin's widgets, on every admin page.
// The select2 autocomplete boxes, tabular inline cells and the export "select all" box come
// without a label; each is named after the label its field already has, on page load and
// whenever the widget re-renders (a choice added, the dropdown opened, an inline row added).
(function () {
  "use strict";

  function labelText(label) {
    return label ? label.textContent.trim().replace(/\s*:$/, "") : "";
  }

  function labelFor(field) {
    if (!field || !field.id) return null;
    return document.querySelector('label[for="' + field.id + '"]');
  }

  function setAttr(node, name, value) {
    if (node && value && node.getAttribute(name) !== value) node.setAttribute(name, value);
  }

  // A tabular inline's control is named by its column header.
  function headerFor(control) {
    var cell = control && control.closest("td");
    var table = cell && cell.closest(".tabular table");
    if (!table) return null;
    var match = /(?:^|\s)field-(\S+)/.exec(cell.className);
    if (match) return table.querySelector("thead th.column-" + match[1]);
    if (cell.classList.contains("delete")) {
      var headers = table.querySelectorAll("thead th");
      return headers[headers.length - 1];
    }
    return null;
  }

  var named = 0;
  function labelId(label) {
    if (!label.id) label.id = label.htmlFor ? label.htmlFor + "-label" : "a11y-name-" + ++named;
    return label.id;
  }

  // A select2 box sits right after the <select> it replaces, named by the field's label
  // or, in a tabular inline, by its column header.
  function nameSelect2(container) {
    var select = container.previousElementSibling;
    if (!select || select.tagName !== "SELECT") return;
    var label = labelFor(select) || headerFor(select);
    var name = labelText(label);
    if (!name) return;
    var selection = container.querySelector(".select2-selection");
    var rendered = container.querySelector(".select2-selection__rendered");
    if (selection && selection.classList.contains("select2-selection--single") && rendered) {
      // "Parent: (chosen clause)": the field's label, then what is chosen.
      setAttr(rendered, "aria-labelledby", labelId(label));
      setAttr(selection, "aria-labelledby", labelId(label) + " " + rendered.id);
    } else {
      setAttr(selection, "aria-label", name);
    }
    // An open combobox names the list it controls; select2 only sets the older aria-owns.
    if (selection) {
      var owns = selection.getAttribute("aria-owns");
      if (owns) setAttr(selection, "aria-controls", owns);
      else selection.removeAttribute("aria-controls");
    }
    container.querySelectorAll(".select2-search__field").forEach(function (input) {
      setAttr(input, "aria-label", name);
    });
    // The "remove all" cross is drawn inside the list of choices, where only items may be.
    if (rendered && rendered.tagName === "UL") {
      Array.prototype.forEach.call(rendered.children, function (child) {
        if (child.tagName !== "LI") rendered.parentNode.insertBefore(child, rendered);
      });
    }
  }

  // The open dropdown is appended to <body>; its results list names the <select>.
  function nameDropdown(dropdown) {
    var results = dropdown.querySelector(".select2-results__options[id]");
    if (!results) return;
    var match = /^select2-(.+)-results$/.exec(results.id);
    var select = match && document.getElementById(match[1]);
    var name = labelText(labelFor(select));
    if (!name) return;
    setAttr(results, "aria-label", name);
    dropdown.querySelectorAll(".select2-search__field").forEach(function (input) {
      setAttr(input, "aria-label", name);
    });
  }

  // Tabular inlines: each cell's control is named after its column header.
  function nameInlineCells(table) {
    table.querySelectorAll("tbody td").forEach(function (cell) {
      var header = headerFor(cell);
      var name = header ? header.textContent.trim() : "";
      if (!name) return;
      cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (control) {
        if (!labelFor(control) && !control.closest(".select2-container")) {
          setAttr(control, "aria-label", name);
        }
      });
    });
  }

  // import-export's "Select all" box: its label points at an id the box lacks, and its
  // inline onchange handler is refused by the content security policy.
  function wireSelectAll(root) {
    root.querySelectorAll("input.select-toggle").forEach(function (toggle) {
      var label = toggle.parentNode.querySelector('label[for="select-all-toggle"]');
      if (label && !toggle.id) toggle.id = "select-all-toggle";
      if (!toggle.dataset.wired && typeof window.onSelectToggleChange === "function") {
        toggle.addEventListener("change", window.onSelectToggleChange);
        toggle.dataset.wired = "true";
      }
    });
  }

  function fix() {
    document.querySelectorAll("span.select2-container").forEach(nameSelect2);
    document.querySelectorAll(".select2-dropdown").forEach(nameDropdown);
    document.querySelectorAll(".tabular table").forEach(nameInlineCells);
    wireSelectAll(document);
  }

  function start() {
    fix();
    // Only added or removed nodes are watched, so setting attributes here cannot loop. The
    // observer runs before the next task (select2 draws its boxes from jQuery's ready
    // handler, which may come after the load event): no box is ever left unnamed.
    new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
    if (window.django && window.django.jQuery) {
      window.django.jQuery(document).on("select2:open", fix);
    }
    window.addEventListener("load", fix);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
