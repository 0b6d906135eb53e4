/* Loss rows: add and remove without a page reload. Without JavaScript the
   "Add a loss" button saves the draft and shows a new empty row, and the
   "Remove" checkbox deletes a row on save. */
(function () {
  "use strict";
  var form = document.querySelector("[data-complaint-form]");
  if (!form) { return; }
  var rows = form.querySelector("[data-loss-rows]");
  var template = form.querySelector("[data-loss-template]");
  var addButton = form.querySelector("[data-add-loss]");
  var total = form.querySelector("input[name='losses-TOTAL_FORMS']");
  var max = form.querySelector("input[name='losses-MAX_NUM_FORMS']");

  function wireRemove(row) {
    var box = row.querySelector("input[type='checkbox'][name$='-DELETE']");
    if (!box) { return; }
    var label = row.querySelector("label[for='" + box.id + "']");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-danger btn-sm mt-1";
    button.textContent = label ? label.textContent : "×";
    button.setAttribute("data-remove-loss", "");
    button.addEventListener("click", function () {
      box.checked = true;
      row.classList.add("is-removed");
    });
    box.parentElement.classList.add("visually-hidden");
    box.parentElement.after(button);
  }

  rows.querySelectorAll("[data-loss-row]").forEach(wireRemove);

  addButton.addEventListener("click", function (event) {
    event.preventDefault();
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) { return; }
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    wireRemove(row);
    var first = row.querySelector("select, input:not([type='hidden'])");
    if (first) { first.focus(); }
  });
})();
