// ShebaoSim web UI — small hand-written helpers (no CDN, no framework).
// 1. the 🔍 look-up by 证件号码 that fills the known facts (and 业务编号列表 for 人员变更回退);
// 2. live refresh of 处理详情 while a file is processed;
// 3. the slider of 忘记密码 (the verification mock's puzzle).
(function () {
  "use strict";

  function text(value) { return value === null || value === undefined ? "" : String(value); }

  // --- 1. look-up ------------------------------------------------------------------------------
  function setupLookup(form) {
    var url = form.getAttribute("data-lookup-url");
    var idInput = form.querySelector("input[name=id_number]");
    var button = form.querySelector(".lookup-button");
    var status = form.querySelector(".lookup-status");
    if (!url || !idInput || !button) { return; }

    function fill(name, value) {
      var input = form.querySelector("[data-fact=" + name + "]");
      if (input) { input.value = text(value); }
    }

    function showProblem(answer) {
      status.innerHTML = "";
      var message = document.createElement("span");
      message.className = "fail";
      message.textContent = answer.message;
      status.appendChild(message);
      if (answer.remedy) {
        var remedy = document.createElement("div");
        remedy.textContent = "处理方法：" + answer.remedy;
        status.appendChild(remedy);
      }
      (answer.links || []).forEach(function (link) {
        var a = document.createElement("a");
        a.href = link.url; a.textContent = "→ " + link.label; a.className = "remedy-link";
        status.appendChild(a);
      });
    }

    function lookup() {
      var idNumber = idInput.value.trim();
      if (!idNumber) { return; }
      status.textContent = "查询中…";
      fetch(url + "?id_number=" + encodeURIComponent(idNumber), { credentials: "same-origin" })
        .then(function (reply) { return reply.json(); })
        .then(function (answer) {
          if (!answer.found) { showProblem(answer); return; }
          var record = answer.records[0];
          var personNo = form.querySelector("input[name=person_no]");
          ["gender", "birth_date", "nationality", "id_type", "hukou_nature", "hukou_address"].forEach(
            function (name) { fill(name, record[name]); });
          var nameInput = form.querySelector("input[name=name]");
          if (nameInput && !nameInput.value) { nameInput.value = record.name; }
          if (personNo && !answer.several && !personNo.value) { personNo.value = record.person_no; }
          status.innerHTML = "";
          var ok = document.createElement("span");
          ok.className = "ok";
          ok.textContent = answer.several
            ? "找到" + answer.records.length + "条人员信息，请在“个人唯一识别码”中选择其中一条：" +
              answer.records.map(function (r) { return r.person_no + "（" + r.name + "）"; }).join("、")
            : "已带出人员基本信息：" + record.name + "（个人唯一识别码 " + record.person_no + "）";
          status.appendChild(ok);
          var businessSelect = form.querySelector("select[name=business_no]");
          if (businessSelect) {
            var current = businessSelect.value;
            businessSelect.innerHTML = "<option value=\"\">请选择</option>";
            answer.businesses.forEach(function (b) {
              var option = document.createElement("option");
              option.value = b.business_no;
              option.textContent = b.business_no + " " + b.item_name;
              if (b.business_no === current) { option.selected = true; }
              businessSelect.appendChild(option);
            });
            var pending = form.querySelector("#pending-rollback tbody");
            if (pending) {
              pending.innerHTML = "";
              answer.businesses.forEach(function (b) {
                var row = document.createElement("tr");
                [b.business_no, b.item_name, b.state, b.submitted_at, b.channel].forEach(function (v) {
                  var cell = document.createElement("td"); cell.textContent = v; row.appendChild(cell);
                });
                pending.appendChild(row);
              });
            }
          }
        })
        .catch(function () { status.textContent = "查询失败，请稍后再试"; });
    }

    button.addEventListener("click", lookup);
    idInput.addEventListener("change", lookup);
    if (idInput.value.trim()) { lookup(); }
  }

  // --- 2. 处理详情: refresh while a file is processed ------------------------------------------------
  function setupJobs(table) {
    var url = table.getAttribute("data-jobs-url");
    var refresh = document.querySelector("[data-refresh-jobs]");
    function render(jobs) {
      jobs.forEach(function (job) {
        var row = table.querySelector("tr[data-job='" + job.id + "']");
        if (!row) { return; }
        row.querySelector(".processed").textContent = job["已处理"];
        row.querySelector(".errors").textContent = job["错误数量"];
        row.querySelector(".state").textContent = job["当前状态"];
        row.querySelector(".finished").textContent = text(job["处理完成时间"]);
        var bar = row.querySelector("progress");
        if (bar) { bar.max = job["数据总数"] || 1; bar.value = job["已处理"]; }
      });
      return jobs.some(function (job) { return job["当前状态"] !== "处理完成"; });
    }
    function poll() {
      fetch(url, { credentials: "same-origin" })
        .then(function (reply) { return reply.json(); })
        .then(function (answer) { if (render(answer.jobs || [])) { setTimeout(poll, 1000); } })
        .catch(function () { /* the 刷新 button still works */ });
    }
    if (refresh) { refresh.addEventListener("click", function (event) { event.preventDefault(); poll(); }); }
    if (table.querySelector("tr[data-running='1']")) { setTimeout(poll, 800); }
  }

  // --- 3. the slider --------------------------------------------------------------------------------
  function setupSlider(track) {
    var piece = track.querySelector(".slider-piece");
    var input = document.getElementById(track.getAttribute("data-input"));
    input.disabled = false;  // sent only when the slider works (the page's <noscript> has its own)
    var width = parseInt(track.getAttribute("data-width"), 10);
    var scale = track.clientWidth / width;
    var dragging = false, startX = 0, startLeft = 0;
    function place(px) {
      var max = track.clientWidth - piece.offsetWidth;
      var left = Math.max(0, Math.min(max, px));
      piece.style.left = left + "px";
      input.value = Math.round(left / scale);
    }
    piece.addEventListener("pointerdown", function (event) {
      dragging = true; startX = event.clientX; startLeft = piece.offsetLeft;
      piece.setPointerCapture(event.pointerId);
    });
    piece.addEventListener("pointermove", function (event) {
      if (dragging) { place(startLeft + event.clientX - startX); }
    });
    piece.addEventListener("pointerup", function () {
      dragging = false;
      if (track.getAttribute("data-autosubmit") !== "0") { track.closest("form").submit(); }
    });
    var gap = track.querySelector(".slider-gap");
    if (gap) {
      gap.style.left = (parseInt(gap.getAttribute("data-target"), 10) * scale) + "px";
      gap.style.width = (parseInt(gap.getAttribute("data-piece"), 10) * scale) + "px";
      piece.style.width = gap.style.width;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-lookup-url]").forEach(setupLookup);
    document.querySelectorAll("table[data-jobs-url]").forEach(setupJobs);
    document.querySelectorAll(".slider-track").forEach(setupSlider);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
