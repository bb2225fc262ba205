import { createHash } from 'node:crypto';
import { pick, seededRandom } from '../common/random.js';
import { COUNTRIES, type CountryCode } from './countries.js';
import { encodePng } from './png.js';

const WIDTH = 120;
const HEIGHT = 80;
const EMBLEM_RADIUS = 22;
const PALETTE: readonly [number, number, number][] = [
  [206, 17, 38],
  [255, 255, 255],
  [0, 56, 147],
  [0, 122, 61],
  [252, 209, 22],
  [0, 0, 0],
  [255, 136, 62],
  [0, 155, 223],
  [120, 30, 50],
  [20, 90, 50],
];

export interface FlagFile {
  code: CountryCode;
  png: Buffer;
  sha256: string;
}

/**
 * Draws a made-up flag per country: three stripes and a noisy round emblem, seeded by the code so
 * every run serves the same bytes. The noise keeps each file a few KB, as real flag images are;
 * plain stripes would compress to almost nothing.
 */
export function drawFlag(code: CountryCode): Buffer {
  const random = seededRandom(code.charCodeAt(0) * 256 + code.charCodeAt(1));
  const stripes = [pick(random, PALETTE), pick(random, PALETTE), pick(random, PALETTE)];
  const vertical = random() < 0.5;
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const stripe = vertical ? Math.floor((x * 3) / WIDTH) : Math.floor((y * 3) / HEIGHT);
      let color = stripes[stripe];
      const dx = x - WIDTH / 2;
      const dy = y - HEIGHT / 2;
      if (dx * dx + dy * dy < EMBLEM_RADIUS * EMBLEM_RADIUS) {
        const shade = Math.floor(random() * 256);
        color = [shade, (shade * 7) & 255, 255 - shade];
      }
      rgb.set(color, (y * WIDTH + x) * 3);
    }
  }
  return encodePng(WIDTH, HEIGHT, rgb);
}

/** All 20 flags with their checksums: what the server serves and what downloads must match. */
export function flagFiles(): FlagFile[] {
  return COUNTRIES.map((code) => {
    const png = drawFlag(code);
    return { code, png, sha256: createHash('sha256').update(png).digest('hex') };
  });
}
