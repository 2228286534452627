/**
 * The bundled demo models (resources/): a BadNets-trojaned MNIST CNN (target 7) and its clean twin,
 * with the bundled MNIST digits as the scanner's clean samples. Loaded, not retrained: the scan tests
 * check the scanner, and each model's manifest.json in resources/ records how it was made.
 */
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { loadDataset, type Dataset } from '../../../src/main/engine/data/index.ts';
import { loadModelFile } from '../../../src/main/engine/model/load.ts';
import type { Classifier } from '../../../src/main/engine/model/types.ts';
import { DEMO_MODELS } from '../../../src/main/service/materialize.ts';

export interface DemoPair {
  clean: Classifier;
  trojaned: Classifier;
  target: number;
  held: Dataset;
}

export async function loadDemoPair(): Promise<DemoPair> {
  await initBackend('wasm');
  const [trojaned, clean] = await Promise.all([loadModelFile(DEMO_MODELS.trojaned), loadModelFile(DEMO_MODELS.clean)]);
  return { clean, trojaned, target: 7, held: loadDataset('demo') };
}
