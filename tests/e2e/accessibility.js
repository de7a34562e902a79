() => {
  // Structural WCAG checks run inside the page by tests/e2e/accessibility.py; returns a list of problems.
  const problems = [];
  const lang = document.documentElement.getAttribute("lang");
  if (!["uz", "ru", "en"].includes(lang)) problems.push(`html lang is ${lang}`);
  if (!document.title.trim()) problems.push("empty <title>");
  const h1 = document.querySelectorAll("h1");
  if (h1.length !== 1) problems.push(`${h1.length} h1 elements`);
  let level = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const next = Number(h.tagName[1]);
    if (level && next > level + 1) problems.push(`heading level skips from h${level} to h${next}: ${h.textContent.trim()}`);
    level = next;
  }
  if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one <main>");
  if (!document.querySelector("header")) problems.push("no <header> (banner)");
  const navs = document.querySelectorAll("nav");
  if (navs.length > 1) for (const nav of navs) if (!nav.getAttribute("aria-label")) problems.push("a <nav> without a label");
  const name = (el) => {
    if (el.getAttribute("aria-label")) return el.getAttribute("aria-label").trim();
    const by = el.getAttribute("aria-labelledby");
    if (by) return by.split(/\s+/).map((id) => (document.getElementById(id) || {}).textContent || "").join(" ").trim();
    if (el.labels && el.labels.length) return Array.from(el.labels).map((l) => l.textContent).join(" ").trim();
    if (el.tagName === "IMG") return (el.getAttribute("alt") || "").trim();
    return (el.innerText || el.textContent || "").trim() || (el.querySelector("img[alt]") || {}).alt || "";
  };
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    if (!name(el)) problems.push(`a ${el.tagName.toLowerCase()} without a label: #${el.id || el.name}`);
  }
  for (const el of document.querySelectorAll("a[href], button")) {
    if (!name(el)) problems.push(`a ${el.tagName.toLowerCase()} without text: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) problems.push("an image without alt");
  const seen = new Set();
  for (const el of document.querySelectorAll("[id]")) {
    if (seen.has(el.id)) problems.push(`duplicate id ${el.id}`);
    seen.add(el.id);
  }
  for (const el of document.querySelectorAll("[aria-describedby]")) {
    for (const id of el.getAttribute("aria-describedby").split(/\s+/)) {
      if (!document.getElementById(id)) problems.push(`aria-describedby names a missing #${id}`);
    }
  }
  for (const link of document.querySelectorAll('a[href^="#"]')) {
    const target = link.getAttribute("href").slice(1);
    if (target && !document.getElementById(target)) problems.push(`a link to the missing #${target}`);
  }
  const first = document.querySelector("a[href], button, input:not([type=hidden]), select, textarea");
  if (!first || !first.classList.contains("skip-link") || first.getAttribute("href") !== "#main") {
    problems.push("the first focusable element is not the skip link to #main");
  }
  for (const el of document.querySelectorAll("button, input:not([type=hidden]), select")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.height && (box.width < 24 || box.height < 24)) {
      problems.push(`target smaller than 24px: #${el.id || el.name || el.textContent.trim()} ${box.width}x${box.height}`);
    }
  }
  return problems;
}
