/* Evidence upload with progress and retry. Each chosen file gets a row with
   its kind, purpose and original/copy; files are sent one at a time, and a
   failed one can be retried without losing the others or what was typed.
   Without JavaScript the page falls back to the plain form above. */
(function () {
  "use strict";
  var form = document.querySelector("[data-evidence-upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var uploader = form.querySelector("[data-js-uploader]");
  var picker = form.querySelector("[data-picker]");
  var rowsBox = form.querySelector("[data-rows]");
  var startButton = form.querySelector("[data-start]");
  var formError = form.querySelector("[data-form-error]");
  var template = document.querySelector("[data-row-template]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var msg = form.dataset;
  var rows = [];
  var busy = false;

  form.querySelector("[data-nojs-rows]").hidden = true;
  uploader.hidden = false;

  function guessKind(file) {
    var type = file.type || "";
    if (type.indexOf("image/") === 0) { return "screenshot"; }
    if (type.indexOf("audio/") === 0) { return "audio"; }
    if (type.indexOf("video/") === 0) { return "video"; }
    if (type === "application/pdf") { return "statement"; }
    return "";
  }

  function humanSize(bytes) {
    if (bytes >= 1048576) { return (bytes / 1048576).toFixed(1) + " MB"; }
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function setState(row, state, text) {
    row.state = state;
    row.el.querySelector("[data-status]").textContent = text || "";
    row.el.querySelector("[data-retry]").classList.toggle("d-none", state !== "failed");
    row.el.querySelector("[data-remove]").disabled = state === "uploading" || state === "done";
    var bar = row.el.querySelector("[data-bar]");
    bar.classList.toggle("bg-success", state === "done");
    bar.classList.toggle("bg-danger", state === "failed");
  }

  function setProgress(row, fraction) {
    var percent = Math.round(fraction * 100);
    row.el.querySelector("[data-bar]").style.width = percent + "%";
    row.el.querySelector(".progress").setAttribute("aria-valuenow", String(percent));
  }

  function showError(row, text) {
    row.el.querySelector("[data-error]").textContent = text || "";
  }

  function refresh() {
    var pending = rows.filter(function (r) { return r.state !== "done"; });
    startButton.disabled = busy || pending.length === 0;
  }

  picker.addEventListener("change", function () {
    Array.prototype.forEach.call(picker.files, function (file) {
      var el = template.content.firstElementChild.cloneNode(true);
      var row = { file: file, el: el, state: "waiting" };
      el.querySelector("[data-name]").textContent = file.name;
      el.querySelector("[data-size]").textContent = humanSize(file.size);
      el.querySelector("[data-kind]").value = guessKind(file);
      el.querySelector("[data-remove]").addEventListener("click", function () {
        rows = rows.filter(function (r) { return r !== row; });
        el.remove();
        refresh();
      });
      el.querySelector("[data-retry]").addEventListener("click", function () {
        uploadAll([row]);
      });
      rowsBox.appendChild(el);
      rows.push(row);
      setState(row, "waiting", msg.msgWaiting);
    });
    picker.value = "";
    formError.classList.add("d-none");
    refresh();
  });

  function validate(row) {
    var kind = row.el.querySelector("[data-kind]").value;
    var purpose = row.el.querySelector("[data-purpose]").value.trim();
    if (!kind) { return msg.msgKind; }
    if (!purpose) { return msg.msgPurpose; }
    return "";
  }

  function send(row) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", csrf);
      data.append("file", row.file, row.file.name);
      data.append("kind", row.el.querySelector("[data-kind]").value);
      data.append("purpose", row.el.querySelector("[data-purpose]").value);
      data.append("is_original", row.el.querySelector("[data-original]").value);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", msg.uploadUrl);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { setProgress(row, event.loaded / event.total); }
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 201) {
          setProgress(row, 1);
          setState(row, "done", msg.msgDone);
          showError(row, "");
        } else {
          var text = msg.msgNetwork;
          if (body && body.errors) {
            text = Object.keys(body.errors).map(function (key) {
              return body.errors[key].map(function (e) { return e.message || e; }).join(" ");
            }).join(" ");
          }
          setState(row, "failed", msg.msgFailed);
          showError(row, text);
        }
        resolve();
      });
      xhr.addEventListener("error", function () {
        setState(row, "failed", msg.msgFailed);
        showError(row, msg.msgNetwork);
        resolve();
      });
      setProgress(row, 0);
      setState(row, "uploading", msg.msgUploading);
      xhr.send(data);
    });
  }

  function uploadAll(selected) {
    var todo = selected.filter(function (r) { return r.state !== "done"; });
    var invalid = false;
    todo.forEach(function (row) {
      var problem = validate(row);
      showError(row, problem);
      if (problem) { invalid = true; }
    });
    if (invalid || todo.length === 0) { return; }
    busy = true;
    refresh();
    todo.reduce(function (chain, row) {
      return chain.then(function () { return send(row); });
    }, Promise.resolve()).then(function () {
      busy = false;
      refresh();
      var failed = rows.some(function (r) { return r.state !== "done"; });
      if (!failed) { window.location.assign(msg.doneUrl); }
    });
  }

  startButton.addEventListener("click", function () {
    if (rows.length === 0) {
      formError.textContent = msg.msgNone;
      formError.classList.remove("d-none");
      return;
    }
    uploadAll(rows);
  });
})();
