/** A decoded image: 8-bit RGB, row-major, three bytes per pixel and no padding between rows. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}
