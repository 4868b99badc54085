// A square pad to draw on with the mouse, a finger or a pen: white ink on black, as the digits
// were written. After each stroke it reports the whole pad (SIZE x SIZE ink levels, one byte
// each, base64) as the state value "ink"; Python scales it to the model's Input.
const SIZE = 256;
const pads = new WeakMap();

function encode(canvas) {
  const rgba = canvas.getContext("2d").getImageData(0, 0, SIZE, SIZE).data;
  let text = "";
  for (let i = 0; i < rgba.length; i += 4) text += String.fromCharCode(rgba[i]);
  return btoa(text);
}

function build(parentElement, setStateValue) {
  const box = document.createElement("div");
  const canvas = document.createElement("canvas");
  canvas.width = SIZE;
  canvas.height = SIZE;
  canvas.className = "nb-draw-pad";
  canvas.style.cssText = "background:#000;touch-action:none;cursor:crosshair;border-radius:6px";
  const clear = document.createElement("button");
  clear.textContent = "Clear";
  clear.style.cssText = "display:block;margin-top:6px";
  box.append(canvas, clear);
  parentElement.appendChild(box);
  const ctx = canvas.getContext("2d");
  const reset = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, SIZE, SIZE);
  };
  reset();
  let last = null;
  const at = (event) => {
    const rect = canvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * SIZE) / rect.width,
      ((event.clientY - rect.top) * SIZE) / rect.height,
    ];
  };
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = at(event);
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = SIZE / 12;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(next[0], next[1]);
    ctx.stroke();
    last = next;
  });
  const finish = () => {
    if (!last) return;
    last = null;
    pad.setStateValue("ink", encode(canvas));
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointerleave", finish);
  clear.addEventListener("click", () => {
    reset();
    pad.setStateValue("ink", null);
  });
  const pad = { setStateValue };
  return pad;
}

export default function mountDrawPad(component) {
  const { parentElement, setStateValue } = component;
  let pad = pads.get(parentElement);
  if (!pad) {
    pad = build(parentElement, setStateValue);
    pads.set(parentElement, pad);
  }
  pad.setStateValue = setStateValue;
}
