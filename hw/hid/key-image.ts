/**
 * A key drawn as an image, for keys that are small screens (Stream Deck): the whole key in the lamp's
 * color while lit (dark between blinks), the partner's label across the middle, and who is calling at the
 * bottom while the partner rings. Colors are the lamp palette (firmware-sim/protocol/lamp.ts), the
 * one the expansion module lights too, so a key looks the same color on every panel.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { LAMP_RGB, type Lamp, type Rgb } from '../../firmware-sim/protocol/lamp.ts';

export interface KeyFace {
  lamp: Lamp;
  lit: boolean;
  label: string | null;
  caller: string | null;
}

/** The background between blinks and of a dark key: not black, so that the label stays readable. */
const DARK: Rgb = [24, 24, 24];

/** Draws `face` at `width` × `height`; returns RGBA bytes, row by row. */
export function drawKey(face: KeyFace, width: number, height: number): Uint8Array {
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  const [red, green, blue] = face.lit && face.lamp.color !== 'off' ? LAMP_RGB[face.lamp.color] : DARK;
  context.fillStyle = `rgb(${red}, ${green}, ${blue})`;
  context.fillRect(0, 0, width, height);
  // Dark text on bright keys (perceived luminance, ITU-R BT.601), light text on dark ones.
  const ink = 0.299 * red + 0.587 * green + 0.114 * blue > 140 ? '#000000' : '#ffffff';
  context.fillStyle = ink;
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  if (face.label != null && face.label !== '')
    fitText(
      context,
      face.label,
      width / 2,
      height * (face.caller == null ? 0.5 : 0.4),
      width * 0.9,
      height * 0.28,
    );
  if (face.caller != null && face.caller !== '')
    fitText(context, face.caller, width / 2, height * 0.78, width * 0.9, height * 0.17);
  const pixels = context.getImageData(0, 0, width, height).data;
  return new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
}

/** The largest bold sans-serif up to `maxSize` px in which `text` fits `maxWidth`; cut with … below 9 px. */
function fitText(
  context: SKRSContext2D,
  text: string,
  x: number,
  y: number,
  maxWidth: number,
  maxSize: number,
): void {
  let size = Math.floor(maxSize);
  let shown = text;
  for (;;) {
    context.font = `bold ${size}px sans-serif`;
    if (context.measureText(shown).width <= maxWidth) break;
    if (size > 9) size--;
    else if (shown.length > 1) shown = `${shown.slice(0, -2)}…`;
    else break;
  }
  context.fillText(shown, x, y);
}
