/**
 * An image folder in torchvision's ImageFolder convention: one sub-folder per class holding PNG or
 * JPEG files. Class order is the sorted folder names unless a class list is given. A class folder
 * that is a symbolic link to a folder counts as one (as torchvision follows it); a link to anything
 * else, or a link loop, is a named error rather than a silently missing class.
 */
import { readdirSync, type Dirent } from 'node:fs';
import { extname, join } from 'node:path';
import { UmaError } from '../../../shared/errors.ts';
import { readRegularFile, resolveEvidencePath } from '../files.ts';
import { makeDataset, type Dataset } from './dataset.ts';
import { declaredSize, decodeImage, isGray, rgbaToFloats, type RGBAImage } from './image-codec.ts';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);
/** Pixels one image may declare (4096 x 4096); classifier inputs are far smaller, bombs far larger. */
export const MAX_IMAGE_PIXELS = 4096 * 4096;
/** Bytes one image file may have. */
const MAX_IMAGE_BYTES = 64 * 2 ** 20;

/** Whether a folder entry is a class folder: a folder, or a link that resolves to one. */
function isClassFolder(root: string, e: Dirent): boolean {
  if (e.name.startsWith('.')) return false;
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  const { stat } = resolveEvidencePath(join(root, e.name), 'folder');
  if (!stat.isDirectory()) {
    throw new UmaError(
      'BAD_DATA',
      `${join(root, e.name)}: a symbolic link to something that is not a folder; class folders must be folders`,
    );
  }
  return true;
}

/** Reads and decodes one image, refusing by its header one that is larger than allowed or than `like`. */
function readImage(file: string, like: { img: RGBAImage; file: string } | undefined): RGBAImage {
  const bytes = readRegularFile(file, MAX_IMAGE_BYTES);
  const size = declaredSize(bytes);
  if (size && size.width * size.height > MAX_IMAGE_PIXELS) {
    const claim = `${size.width}x${size.height} pixels, more than the ${MAX_IMAGE_PIXELS} an image may have`;
    throw new UmaError('BAD_DATA', `${file}: the header declares ${claim}`);
  }
  if (size && like && (size.width !== like.img.width || size.height !== like.img.height)) {
    const first = `${like.file} (${like.img.width}x${like.img.height})`;
    throw new UmaError(
      'BAD_DATA',
      `${file}: ${size.width}x${size.height} differs from ${first}; all images must have one size`,
    );
  }
  try {
    return decodeImage(bytes);
  } catch (err) {
    throw new UmaError('BAD_DATA', `${file}: unreadable image (${(err as Error).message})`);
  }
}

export interface ImageFolderOptions {
  /** Class folder names in label order; default: the sorted sub-folder names. */
  classNames?: string[];
  /** 1 or 3; default: 1 when every image is gray, else 3. */
  channels?: 1 | 3;
}

/** The class folders of an image folder in label order, checked against the given class names. */
export function imageFolderClasses(root: string, given?: string[]): string[] {
  if (!resolveEvidencePath(root, 'folder').stat.isDirectory()) throw new UmaError('BAD_DATA', `${root}: not a folder`);
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((e) => isClassFolder(root, e))
    .map((e) => e.name)
    .sort();
  if (folders.length === 0) {
    throw new UmaError(
      'BAD_DATA',
      `${root}: no class sub-folders (expected one folder of images per class, as in torchvision's ImageFolder)`,
    );
  }
  const classNames = given ?? folders;
  const missing = classNames.filter((c) => !folders.includes(c));
  if (missing.length) throw new UmaError('BAD_DATA', `${root}: class folder(s) ${missing.join(', ')} not found`);
  const extra = folders.filter((f) => !classNames.includes(f));
  if (extra.length) throw new UmaError('BAD_DATA', `${root}: folder(s) ${extra.join(', ')} are not in the class list`);
  return classNames;
}

export function loadImageFolder(root: string, opts: ImageFolderOptions = {}): Dataset {
  const classNames = imageFolderClasses(root, opts.classNames);
  const decoded: { img: RGBAImage; label: number; file: string }[] = [];
  classNames.forEach((name, label) => {
    const dir = join(root, name);
    const files = readdirSync(dir)
      .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()))
      .sort();
    if (files.length === 0) throw new UmaError('BAD_DATA', `${dir}: class '${name}' has no PNG or JPEG images`);
    for (const f of files) {
      const file = join(dir, f);
      const first = decoded[0];
      const img = readImage(file, first);
      if (first && (img.width !== first.img.width || img.height !== first.img.height)) {
        throw new UmaError(
          'BAD_DATA',
          `${file}: ${img.width}x${img.height} differs from ${first.file} (${first.img.width}x${first.img.height}); all images must have one size`,
        );
      }
      decoded.push({ img, label, file });
    }
  });

  const { width, height } = decoded[0].img;
  const colour = decoded.filter((d) => !isGray(d.img)).length;
  const channels = opts.channels ?? (colour === 0 ? 1 : 3);
  // The model decides the channels; an analyst must know when colour was thrown away to fit it.
  const warnings =
    channels === 1 && colour > 0
      ? [
          `${colour} of ${decoded.length} images are in colour; converted to grayscale (mean of R, G and B) ` +
            "for the model's 1-channel input",
        ]
      : [];
  const per = width * height * channels;
  const images = new Float32Array(decoded.length * per);
  decoded.forEach((d, i) => rgbaToFloats(d.img, channels, images, i * per));
  return makeDataset({
    images,
    labels: Int32Array.from(decoded.map((d) => d.label)),
    count: decoded.length,
    height,
    width,
    channels,
    classNames,
    source: root,
    ...(warnings.length && { warnings }),
  });
}
