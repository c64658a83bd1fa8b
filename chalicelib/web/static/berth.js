// Search as you type (an input with data-filter names the table it filters), copy buttons
// (data-copy holds the text) and sortable tables (a header button sorts by its column: a
// cell's data-sort value when it has one, numbers as numbers; a second click reverses).
// No inline script anywhere: the page's CSP forbids it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-filter]")) {
    const rows = document.querySelectorAll(`#${input.dataset.filter} tbody tr`);
    input.addEventListener("input", () => {
      const wanted = input.value.trim().toLowerCase();
      for (const row of rows) {
        row.hidden = wanted !== "" && !row.textContent.toLowerCase().includes(wanted);
      }
    });
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = "copied";
      } catch {
        button.textContent = "select and copy";
      }
    });
  }
  for (const table of document.querySelectorAll("table.sortable")) {
    for (const button of table.querySelectorAll("th button.sort")) {
      button.addEventListener("click", () => sortBy(table, button));
    }
  }
});

function sortKey(row, column) {
  const cell = row.cells[column];
  const raw = cell.dataset.sort ?? cell.textContent.trim();
  const number = Number(raw);
  return raw !== "" && !Number.isNaN(number) ? number : raw.toLowerCase();
}

function sortBy(table, button) {
  const column = Number(button.dataset.column);
  const ascending = table.dataset.sorted !== `${column}:asc`;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = sortKey(a, column);
    const y = sortKey(b, column);
    const order = typeof x === "number" && typeof y === "number"
      ? x - y
      : String(x).localeCompare(String(y));
    return ascending ? order : -order;
  });
  body.append(...rows);
  table.dataset.sorted = `${column}:${ascending ? "asc" : "desc"}`;
  for (const other of table.querySelectorAll("th button.sort")) {
    other.removeAttribute("aria-sort");
    other.parentElement.removeAttribute("aria-sort");
  }
  button.parentElement.setAttribute("aria-sort", ascending ? "ascending" : "descending");
}
