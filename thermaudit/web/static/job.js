// Poll the job's JSON until it ends; the page itself is server-rendered.
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  var state = box.dataset.state;
  var labels = {};
  try { labels = JSON.parse(box.dataset.labels || "{}"); } catch (e) { labels = {}; }
  if (state !== "queued" && state !== "running") return;
  function tick() {
    fetch("/api/jobs/" + box.dataset.job, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        document.getElementById("job-bar").value = j.progress;
        document.getElementById("job-progress").textContent = j.progress;
        document.getElementById("job-message").textContent = j.message;
        var s = document.getElementById("job-state");
        s.textContent = labels[j.state] || j.state;
        s.className = "status-" + j.state;
        box.dataset.state = j.state;
        if (j.state === "queued" || j.state === "running") { setTimeout(tick, 1000); return; }
        document.getElementById("job-result").hidden = false;
        if (j.state === "done" || j.dataset_id) { window.location.href = box.dataset.target; return; }
        window.location.reload(); // a failed assessment: the page says why, in its language
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 500);
})();
