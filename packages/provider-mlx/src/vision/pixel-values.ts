/** What an image processor hands the vision tower: float32 values in the reference's layout, and its shape. */
export interface PixelValues {
  data: Float32Array;
  /** [1, 3, height, width] (channels-first) for CLIP and SigLIP; [patches, 3 * temporalPatchSize * patchSize²] for Qwen2-VL. */
  shape: number[];
  /** Qwen2-VL only: the patch grid as [temporal, height, width], which the model's rotary positions and merger need. */
  imageGridThw?: [number, number, number];
}
