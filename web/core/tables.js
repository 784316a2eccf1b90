// Tables that read on a phone: under portal.css's breakpoint each row of a table becomes a card,
// each cell labelled with its column's head (`data-label`, shown by CSS). A region that scrolls
// sideways (`.table-scroll`, a wide table on a mid-sized screen) can be reached and scrolled with
// the keyboard: it takes the focus and is named after its table's heading.

// The column heads of a table, one text per column (a head spanning columns repeats its text).
export function columnHeads(table) {
  const row = table.tHead?.rows[0] || (table.rows[0]?.querySelector("td") ? null : table.rows[0]);
  if (!row) return [];
  return [...row.cells].flatMap((cell) => Array(cell.colSpan || 1).fill(cell.textContent.trim()));
}

// Each body cell of `table` labelled with its column's head; a cell spanning columns (a panel
// under a row) or under an empty head is left without.
export function labelCells(table) {
  const heads = columnHeads(table);
  if (!heads.length) return;
  const headRow = table.tHead?.rows[0] || table.rows[0];
  for (const row of table.rows) {
    if (row === headRow || row.parentElement?.tagName === "THEAD") continue;
    let column = 0;
    for (const cell of row.cells) {
      const label = cell.colSpan === 1 ? heads[column] : "";
      if (label && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", label);
      column += cell.colSpan || 1;
    }
  }
}

// A region scrolling sideways: focusable and named; one that does not scroll: neither.
function scrollRegion(region) {
  if (region.scrollWidth > region.clientWidth + 1) {
    const heading = region.closest("section, .card")?.querySelector("h2, h3");
    region.setAttribute("tabindex", "0");
    region.setAttribute("role", "region");
    region.setAttribute("aria-label", region.querySelector("caption")?.textContent || heading?.textContent || "");
  } else {
    for (const name of ["tabindex", "role", "aria-label"]) region.removeAttribute(name);
  }
}

export function readableTables(root) {
  for (const table of root.querySelectorAll("table")) labelCells(table);
  for (const region of root.querySelectorAll(".table-scroll")) scrollRegion(region);
}

// Whatever the pages draw in `root`, now and later (more rows, a filter), and at any width.
export function keepTablesReadable(root) {
  const again = () => readableTables(root);
  new MutationObserver(again).observe(root, { childList: true, subtree: true });
  window.addEventListener("resize", again);
  again();
}
