/**
 * An image folder in torchvision's ImageFolder convention: one sub-folder per class holding PNG or
 * JPEG files. Class order is the sorted folder names unless a class list is given.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UmaError } from '../../../shared/errors.ts';
import { makeDataset, type Dataset } from './dataset.ts';
import { decodeImage, isGray, rgbaToFloats, type RGBAImage } from './image-codec.ts';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

export interface ImageFolderOptions {
  /** Class folder names in label order; default: the sorted sub-folder names. */
  classNames?: string[];
  /** 1 or 3; default: 1 when every image is gray, else 3. */
  channels?: 1 | 3;
}

/** The class folders of an image folder in label order, checked against the given class names. */
export function imageFolderClasses(root: string, given?: string[]): string[] {
  if (!existsSync(root)) throw new UmaError('BAD_DATA', `${root}: no such folder`);
  if (!statSync(root).isDirectory()) throw new UmaError('BAD_DATA', `${root}: not a folder`);
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (folders.length === 0) {
    throw new UmaError('BAD_DATA', `${root}: no class sub-folders (expected one folder of images per class, as in torchvision's ImageFolder)`);
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
    const files = readdirSync(dir).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
    if (files.length === 0) throw new UmaError('BAD_DATA', `${dir}: class '${name}' has no PNG or JPEG images`);
    for (const f of files) {
      const file = join(dir, f);
      let img: RGBAImage;
      try {
        img = decodeImage(readFileSync(file));
      } catch (err) {
        throw new UmaError('BAD_DATA', `${file}: unreadable image (${(err as Error).message})`);
      }
      const first = decoded[0];
      if (first && (img.width !== first.img.width || img.height !== first.img.height)) {
        throw new UmaError('BAD_DATA', `${file}: ${img.width}x${img.height} differs from ${first.file} (${first.img.width}x${first.img.height}); all images must have one size`);
      }
      decoded.push({ img, label, file });
    }
  });

  const { width, height } = decoded[0].img;
  const channels = opts.channels ?? (decoded.every((d) => isGray(d.img)) ? 1 : 3);
  const per = width * height * channels;
  const images = new Float32Array(decoded.length * per);
  decoded.forEach((d, i) => rgbaToFloats(d.img, channels, images, i * per));
  return makeDataset({
    images,
    labels: Int32Array.from(decoded.map((d) => d.label)),
    count: decoded.length,
    height, width, channels, classNames,
    source: root,
  });
}
