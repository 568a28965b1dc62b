// The maps (threads/dashboard): show the name and figure of the municipality under the
// pointer or the keyboard focus beside the map, and outline it on top of its neighbours.
// Without this file the maps still work: each municipality is a link with a title.

function enhance(svg) {
  // Listen on the frame around the map, not on the <svg>: Chromium makes an SVG element with
  // focus listeners a tab stop of its own.
  const frame = svg.parentElement;
  const caption = frame.querySelector("[data-map-caption]");
  // Two paths over every municipality: a wide white halo under a black line, visible on
  // every colour of the scale.
  const outline = document.createElementNS("http://www.w3.org/2000/svg", "g");
  outline.setAttribute("class", "map__outline");
  outline.setAttribute("aria-hidden", "true");
  for (const part of ["halo", "line"]) {
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("class", `map__outline-${part}`);
    outline.append(path);
  }
  svg.append(outline);

  function show(link) {
    const title = link.querySelector("title");
    const path = link.querySelector("path");
    if (!title || !path) return;
    for (const part of outline.children) part.setAttribute("d", path.getAttribute("d"));
    outline.classList.add("is-shown");
    if (caption) {
      caption.textContent = title.textContent;
      caption.hidden = false;
    }
  }

  function hide() {
    outline.classList.remove("is-shown");
    const focused = svg.querySelector("a:focus");
    if (focused) {
      show(focused);
    } else if (caption) {
      caption.hidden = true;
    }
  }

  function linkIn(event) {
    const link = event.target.closest("a");
    return link && svg.contains(link) ? link : null;
  }

  frame.addEventListener("focusin", (event) => {
    const link = linkIn(event);
    if (link) show(link);
  });
  frame.addEventListener("focusout", () => requestAnimationFrame(hide));
  frame.addEventListener("pointerover", (event) => {
    const link = linkIn(event);
    if (link) show(link);
  });
  svg.addEventListener("pointerleave", hide);
}

document.querySelectorAll("svg[data-map]").forEach(enhance);
