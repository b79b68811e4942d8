// The page's own behaviour (app.py puts this file in the page head), delegated from the document so it
// survives Gradio re-rendering.
(() => {
  async function copyText(text) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {
      const area = document.createElement("textarea");
      area.value = text; document.body.appendChild(area); area.select();
      const ok = document.execCommand("copy"); area.remove(); return ok;
    }
  }
  function sortTable(th) {
    const table = th.closest("table"), body = table.tBodies[0];
    const column = Array.from(th.parentNode.children).indexOf(th);
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    const numeric = th.dataset.type === "num";
    const key = (row) => { const cell = row.cells[column]; return cell.dataset.sort ?? cell.textContent.trim(); };
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      let x = key(a), y = key(b);
      if (numeric) { x = x === "" ? -Infinity : Number(x); y = y === "" ? -Infinity : Number(y); return ascending ? x - y : y - x; }
      return ascending ? x.localeCompare(y, "zh-Hans-CN") : y.localeCompare(x, "zh-Hans-CN");
    });
    rows.forEach((row) => body.appendChild(row));
    th.parentNode.querySelectorAll("th").forEach((other) => other.setAttribute("aria-sort", "none"));
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.addEventListener("click", async (event) => {
    const copy = event.target.closest(".rag-copy");
    if (copy) {
      event.preventDefault();
      const source = copy.closest(".rag-reply").querySelector(".rag-copy-text");
      const ok = await copyText(source ? source.textContent : "");
      copy.textContent = ok ? "已复制" : "复制失败";
      setTimeout(() => { copy.textContent = "复制答案"; }, 1500);
      return;
    }
    const th = event.target.closest("table.rag-sortable th");
    if (th) sortTable(th);
  });
  let shown = null;
  new MutationObserver(() => {
    const replies = document.querySelectorAll("#chat .rag-reply");
    const last = replies[replies.length - 1];
    if (!last || last === shown) return;
    shown = last;
    requestAnimationFrame(() => last.scrollIntoView({ block: "start" }));
  }).observe(document.documentElement, { childList: true, subtree: true });
  // The question's length as the server counts it (spaces and line breaks run together), against the limit.
  document.addEventListener("input", (event) => {
    if (!event.target.matches("#question textarea")) return;
    const counter = document.querySelector("#question-count .rag-count");
    if (!counter) return;
    const max = Number(counter.dataset.max), count = [...event.target.value.trim().replace(/\s+/g, " ")].length;
    counter.classList.toggle("rag-over", count > max);
    counter.textContent = count > max ? `问题共 ${count} 字，超过 ${max} 字的上限，请精简后再提问。`
      : count > 0.8 * max ? `${count} / ${max} 字` : "";
  });
  // Plan files are checked here, before the upload, so a refusal is said in Chinese with the reason.
  function refusedFiles(files) {
    const note = document.querySelector("#p-upload-note .rag-upload-note");
    if (!note) return [];
    const types = note.dataset.types.split(" "), max = Number(note.dataset.maxBytes);
    const problems = [];
    for (const file of files) {
      const dot = file.name.lastIndexOf("."), suffix = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
      if (!types.includes(suffix)) problems.push(`${file.name}：不支持的文件类型${suffix ? "（" + suffix + "）" : ""}，只能上传 ${types.join(" ")} 文件`);
      else if (file.size === 0) problems.push(`${file.name}：文件为空`);
      else if (file.size > max) problems.push(`${file.name}：文件过大（${(file.size / 1e6).toFixed(1)} MB），上限为 ${+(max / 1e6).toFixed(1)} MB`);
    }
    note.textContent = problems.length ? "未上传任何文件。" + problems.join("；") : "";
    note.classList.toggle("rag-error", problems.length > 0);
    return problems;
  }
  document.addEventListener("change", (event) => {
    if (!event.target.matches("#p-files input[type=file]")) return;
    if (refusedFiles(event.target.files).length) {
      event.stopImmediatePropagation();
      event.target.value = "";
    }
  }, true);
  document.addEventListener("drop", (event) => {
    if (!event.target.closest || !event.target.closest("#p-files") || !event.dataTransfer) return;
    if (refusedFiles(event.dataTransfer.files).length) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
