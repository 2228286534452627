/** Reading files the analyst picks or drops into the bytes the API carries. */
export async function readFile(file: File): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await file.arrayBuffer());
}

export async function readFiles(files: FileList | File[]): Promise<{ name: string; bytes: Uint8Array<ArrayBuffer> }[]> {
  return Promise.all([...files].map(async (f) => ({ name: f.name, bytes: await readFile(f) })));
}
