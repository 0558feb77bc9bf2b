/**
 * How a picture looks to a deuteranope (no green cones, the commonest color blindness): Machado,
 * Oliveira and Fernandes' 2009 model at full severity, applied in linear RGB. For tests that ask
 * whether two things on a screenshot differ without their colors.
 */
import { createCanvas, loadImage } from '@napi-rs/canvas';

const DEUTERANOPIA = [
  [0.367322, 0.860646, -0.227968],
  [0.280085, 0.672501, 0.047413],
  [-0.01182, 0.04294, 0.968881],
] as const;

const linear = (value: number) => {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};

/**
 * A PNG as a deuteranope sees it, shrunk to `size`×`size` cells of lightness (0..1, linear luminance):
 * a signature of its shapes and lightness, its hues gone.
 */
export async function deuteranopeSignature(png: Buffer, size = 16): Promise<number[]> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data, width, height } = context.getImageData(0, 0, image.width, image.height);
  const cells = new Array<number>(size * size).fill(0);
  const counts = new Array<number>(size * size).fill(0);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      const [r, g, b] = [linear(data[at]!), linear(data[at + 1]!), linear(data[at + 2]!)];
      const [sr, sg, sb] = DEUTERANOPIA.map((row) =>
        Math.min(1, Math.max(0, row[0] * r + row[1] * g + row[2] * b)),
      );
      const cell = Math.floor((y * size) / height) * size + Math.floor((x * size) / width);
      cells[cell]! += 0.2126 * sr! + 0.7152 * sg! + 0.0722 * sb!;
      counts[cell]! += 1;
    }
  return cells.map((sum, index) => sum / Math.max(1, counts[index]!));
}

/** How far apart two signatures are: the mean difference of their cells (0: the same, 1: black and white). */
export function signatureDistance(a: readonly number[], b: readonly number[]): number {
  return a.reduce((sum, value, index) => sum + Math.abs(value - b[index]!), 0) / a.length;
}
