// convgif's player: draws each frame of a picture as SVG from the scene data above it.
// data.statics: the items every frame shows (painted once); each of data.frames: the items
// settled since the frame before ("settled"), its own items ("dynamic"), how long it stays
// ("ms") and its caption lines. Frame k is the static items, the settled items of frames
// 0..k (one cached group per frame: stepping back only hides groups) and its dynamic ones.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const root = document.currentScript.closest(".convgif-player");
  // The style, picture and controls wait in a script element, so that where scripts are
  // stripped they go too and only the still (an <img>) is left: put them in and drop the still.
  const markup = root.querySelector(".convgif-markup");
  markup.insertAdjacentHTML("beforebegin", markup.textContent);
  markup.remove();
  const data = JSON.parse(root.querySelector(".convgif-data").textContent);
  const picture = root.querySelector(".convgif-picture");
  const scrubber = root.querySelector(".convgif-scrubber");
  const speed = root.querySelector(".convgif-speed");
  const counter = root.querySelector(".convgif-counter");
  const caption = root.querySelector(".convgif-caption");
  const count = data.frames.length;
  const ANCHORS = { l: "start", m: "middle", r: "end" };

  function element(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) {
      if (value !== null && value !== undefined) node.setAttribute(key, value);
    }
    parent.appendChild(node);
    return node;
  }

  function color(role) {
    return role === null ? "none" : data.colors[role];
  }

  // One item of the scene, as player.py encodes it: [kind, ...fields].
  function draw(item, parent) {
    const [kind, ...f] = item;
    if (kind === "b") {
      const [x, y, w, h, fill, edge, edgeWidth, dash] = f;
      element("rect", {
        x: x, y: y, width: w, height: h, fill: color(fill), stroke: color(edge),
        "stroke-width": edge === null ? null : edgeWidth,
        "stroke-dasharray": dash ? dash.join(" ") : null, "data-role": fill,
      }, parent);
    } else if (kind === "t") {
      const [x, y, text, size, role, anchor, bold] = f;
      const node = element("text", {
        x: x, y: y, "font-size": size, fill: color(role), "text-anchor": ANCHORS[anchor],
        "font-weight": bold ? "bold" : null, "data-role": role,
      }, parent);
      node.textContent = text;
    } else if (kind === "l") {
      const [x1, y1, x2, y2, role, width, dash] = f;
      element("line", {
        x1: x1, y1: y1, x2: x2, y2: y2, stroke: color(role), "stroke-width": width,
        "stroke-linecap": dash ? "butt" : "square",
        "stroke-dasharray": dash ? dash.join(" ") : null, "data-role": role,
      }, parent);
    } else if (kind === "i") {
      const [x, y, w, h, href] = f;
      element("image", { x: x, y: y, width: w, height: h, href: href,
        preserveAspectRatio: "none" }, parent);
    }
  }

  function group(items, className) {
    const node = element("g", { class: className }, layers);
    for (const item of items) draw(item, node);
    return node;
  }

  // The layers, bottom to top: the page, the static items, the settled ones, this frame's.
  element("rect", { x: 0, y: 0, width: data.width, height: data.height,
    fill: color("paper") }, picture);
  picture.style.fontFamily = data.font;
  const layers = element("g", {}, picture);
  const statics = data.statics.map((items) => group(items, "static"));
  const settledLayer = element("g", { class: "settled" }, layers);
  const settled = data.frames.map(() => element("g", { class: "frame", display: "none" },
    settledLayer));
  const filled = new Array(count).fill(false);
  let dynamic = group([], "dynamic");
  let current = -1;
  let drawnUpTo = -1; // the settled groups 0..drawnUpTo are shown

  function show(k) {
    k = ((k % count) + count) % count;
    for (let j = drawnUpTo + 1; j <= k; j++) {
      if (!filled[j]) {
        for (const item of data.frames[j].settled) draw(item, settled[j]);
        filled[j] = true;
      }
      settled[j].removeAttribute("display");
    }
    for (let j = drawnUpTo; j > k; j--) settled[j].setAttribute("display", "none");
    drawnUpTo = k;
    const frame = data.frames[k];
    statics.forEach((node, i) => node.setAttribute("display", i === frame.base ? "inline" : "none"));
    const next = group(frame.dynamic, "dynamic");
    dynamic.remove();
    dynamic = next;
    current = k;
    scrubber.value = k + 1;
    counter.textContent = frame.counter; // the picture's own counter: "frame 4/20 (7 shown, ...)"
    caption.replaceChildren(...frame.caption.map((line) => {
      const div = document.createElement("div");
      div.textContent = line;
      return div;
    }));
    root.dataset.frame = k + 1;
  }

  // Playing: each frame stays its own time (the GIF's), divided by the speed; it loops.
  let timer = null;
  function tick() {
    timer = setTimeout(() => { show(current + 1); tick(); },
      data.frames[current].ms / Number(speed.value));
  }
  function play() {
    if (timer === null) { root.classList.add("playing"); tick(); }
  }
  function pause() {
    clearTimeout(timer);
    timer = null;
    root.classList.remove("playing");
  }
  function go(k) { pause(); show(k); } // stepping by hand stops the playing

  const actions = {
    first: () => go(0), back: () => go(current - 1), forward: () => go(current + 1),
    last: () => go(count - 1), play: () => (timer === null ? play() : pause()),
  };
  for (const button of root.querySelectorAll("button[data-do]")) {
    button.addEventListener("click", actions[button.dataset.do]);
  }
  scrubber.addEventListener("input", () => go(Number(scrubber.value) - 1));
  for (const value of data.speeds) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = value + "\u00d7";
    option.selected = value === 1;
    speed.appendChild(option);
  }
  speed.addEventListener("change", () => { if (timer !== null) { pause(); play(); } });

  const KEYS = { ArrowRight: "forward", ArrowLeft: "back", Home: "first", End: "last", " ": "play" };
  document.addEventListener("keydown", (event) => {
    const alone = document.querySelectorAll(".convgif-player").length === 1;
    const mine = root.contains(event.target) || (alone && event.target === document.body);
    const action = KEYS[event.key];
    if (!mine || !action || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target === speed) return; // the speed menu keeps its own keys
    event.preventDefault();
    actions[action]();
  });

  const still = root.querySelector(".convgif-still"); // only for where this script is not run
  if (still) still.remove();
  show(0);
  if (data.autoplay) play();
})();
