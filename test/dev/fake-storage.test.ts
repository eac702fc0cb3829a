import { createHash, randomBytes } from 'node:crypto';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeStorage } from '../../functions/src/dev/fakes/storage.js';

// google-auth-library must never probe the metadata server from a test.
process.env.METADATA_SERVER_DETECTION = 'none';

const BUCKET = 'kf-test-project_cloudbuild';
const BINARY = Buffer.concat([Buffer.from([0x00, 0xff, 0x1f, 0x8b, 0x0a, 0x0d]), randomBytes(4096)]);

describe('FakeStorage (JSON API read side)', () => {
  let storage: FakeStorage;
  const auth = new PassThroughClient();

  const get = async (path: string, params?: Record<string, string | number>): Promise<any> =>
    (await auth.request({ url: `${storage.baseUrl}${path}`, params })).data;

  /** Follows nextPageToken like the client libraries do, returning every page. */
  async function allPages(params: Record<string, string | number>): Promise<any[]> {
    const pages: any[] = [];
    let pageToken: string | undefined;
    do {
      const page = await get(`/storage/v1/b/${BUCKET}/o`, { ...params, ...(pageToken ? { pageToken } : {}) });
      pages.push(page);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    return pages;
  }

  beforeAll(async () => {
    storage = await FakeStorage.start();
    storage.putObject(BUCKET, 'artifacts/b-1/report.json', JSON.stringify({ ok: true }), 'application/json');
    storage.putObject(BUCKET, 'artifacts/b-1/logs/step-0.txt', 'hello\n', 'text/plain');
    storage.putObject(BUCKET, 'artifacts/b-2/report.json', '{"ok":false}', 'application/json');
    storage.putObject(BUCKET, 'artifacts/b-2/bundle.tgz', BINARY);
    storage.putObject(BUCKET, 'artifacts/top.txt', 'top');
    storage.putObject(BUCKET, 'source/a b+c ü.tgz', 'odd name');
    storage.putObject(BUCKET, 'crc', '123456789');
    storage.putObject('other-bucket', 'x', 'y');
  });

  afterAll(async () => {
    await storage.stop();
  });

  it('lists objects under a prefix in name order with the API resource fields', async () => {
    const listing = await get(`/storage/v1/b/${BUCKET}/o`, { prefix: 'artifacts/b-1/' });
    expect(listing.kind).toBe('storage#objects');
    expect(listing.nextPageToken).toBeUndefined();
    expect(listing.prefixes).toBeUndefined();
    expect(listing.items.map((item: any) => item.name)).toEqual(['artifacts/b-1/logs/step-0.txt', 'artifacts/b-1/report.json']);
    const report = listing.items[1];
    const content = Buffer.from(JSON.stringify({ ok: true }));
    expect(report).toMatchObject({
      kind: 'storage#object',
      name: 'artifacts/b-1/report.json',
      bucket: BUCKET,
      contentType: 'application/json',
      size: String(content.length),
      md5Hash: createHash('md5').update(content).digest('base64'),
      metageneration: '1',
      storageClass: 'STANDARD',
    });
    expect(report.generation).toMatch(/^\d{16}$/);
    expect(report.id).toBe(`${BUCKET}/artifacts/b-1/report.json/${report.generation}`);
    expect(Date.parse(report.updated)).not.toBeNaN();
    expect(report.mediaLink).toBe(`${storage.baseUrl}/download/storage/v1/b/${BUCKET}/o/artifacts%2Fb-1%2Freport.json?generation=${report.generation}&alt=media`);
  });

  it('rolls names up into prefixes with a delimiter', async () => {
    const listing = await get(`/storage/v1/b/${BUCKET}/o`, { prefix: 'artifacts/', delimiter: '/' });
    expect(listing.prefixes).toEqual(['artifacts/b-1/', 'artifacts/b-2/']);
    expect(listing.items.map((item: any) => item.name)).toEqual(['artifacts/top.txt']);
    const root = await get(`/storage/v1/b/${BUCKET}/o`, { delimiter: '/' });
    expect(root.prefixes).toEqual(['artifacts/', 'source/']);
    expect(root.items.map((item: any) => item.name)).toEqual(['crc']);
  });

  it('pages with maxResults and pageToken, counting prefixes and items together', async () => {
    const pages = await allPages({ prefix: 'artifacts/', maxResults: 2 });
    expect(pages.map((page) => page.items.map((item: any) => item.name))).toEqual([
      ['artifacts/b-1/logs/step-0.txt', 'artifacts/b-1/report.json'],
      ['artifacts/b-2/bundle.tgz', 'artifacts/b-2/report.json'],
      ['artifacts/top.txt'],
    ]);
    expect(pages.at(-1).nextPageToken).toBeUndefined();
    const delimited = await allPages({ prefix: 'artifacts/', delimiter: '/', maxResults: 1 });
    expect(delimited.map((page) => [page.prefixes ?? [], (page.items ?? []).map((item: any) => item.name)])).toEqual([
      [['artifacts/b-1/'], []],
      [['artifacts/b-2/'], []],
      [[], ['artifacts/top.txt']],
    ]);
  });

  it('serves metadata for a URL-encoded object name, with crc32c', async () => {
    const metadata = await get(`/storage/v1/b/${BUCKET}/o/${encodeURIComponent('source/a b+c ü.tgz')}`);
    expect(metadata).toMatchObject({ kind: 'storage#object', name: 'source/a b+c ü.tgz', size: String(Buffer.byteLength('odd name')) });
    // The CRC32C check value of "123456789" is 0xE3069283.
    expect((await get(`/storage/v1/b/${BUCKET}/o/crc`)).crc32c).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
  });

  it('downloads media intact through ?alt=media, the /download form and mediaLink', async () => {
    const objectPath = `/b/${BUCKET}/o/${encodeURIComponent('artifacts/b-2/bundle.tgz')}`;
    for (const url of [`${storage.baseUrl}/storage/v1${objectPath}?alt=media`, `${storage.baseUrl}/download/storage/v1${objectPath}?alt=media`]) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
      expect(response.headers.get('x-goog-hash')).toContain(`md5=${createHash('md5').update(BINARY).digest('base64')}`);
      expect(Buffer.from(await response.arrayBuffer()).equals(BINARY)).toBe(true);
    }
    const metadata = await get(`/storage/v1${objectPath}`);
    const viaLink = await auth.request<ArrayBuffer>({ url: metadata.mediaLink, responseType: 'arraybuffer' });
    expect(Buffer.from(viaLink.data).equals(BINARY)).toBe(true);
    const text = await auth.request<string>({ url: `${storage.baseUrl}/storage/v1/b/${BUCKET}/o/${encodeURIComponent('artifacts/b-1/report.json')}`, params: { alt: 'media' }, responseType: 'text' });
    expect(JSON.parse(text.data)).toEqual({ ok: true });
  });

  it('answers 404 with the Google JSON error body for a missing object or bucket', async () => {
    const missingObject = await fetch(`${storage.baseUrl}/storage/v1/b/${BUCKET}/o/${encodeURIComponent('artifacts/nope.json')}?alt=media`);
    expect(missingObject.status).toBe(404);
    expect(await missingObject.json()).toEqual({
      error: { code: 404, message: `No such object: ${BUCKET}/artifacts/nope.json`, errors: [{ message: `No such object: ${BUCKET}/artifacts/nope.json`, domain: 'global', reason: 'notFound' }] },
    });
    const missingBucket = await fetch(`${storage.baseUrl}/storage/v1/b/no-such-bucket/o?prefix=x`);
    expect(missingBucket.status).toBe(404);
    expect(((await missingBucket.json()) as any).error).toMatchObject({ code: 404, message: 'The specified bucket does not exist.' });
    await expect(get(`/storage/v1/b/${BUCKET}/o/missing`)).rejects.toMatchObject({ status: 404 });
  });

  it('lists an empty prefix without items, overwrites with a new generation and records requests', async () => {
    expect(await get(`/storage/v1/b/${BUCKET}/o`, { prefix: 'nothing/' })).toEqual({ kind: 'storage#objects' });
    const before = await get(`/storage/v1/b/other-bucket/o/x`);
    storage.putObject('other-bucket', 'x', 'z2');
    const after = await get(`/storage/v1/b/other-bucket/o/x`);
    expect(BigInt(after.generation)).toBeGreaterThan(BigInt(before.generation));
    expect(after.size).toBe('2');
    const stale = await fetch(`${storage.baseUrl}/storage/v1/b/other-bucket/o/x?alt=media&generation=${before.generation}`);
    expect(stale.status).toBe(404);
    expect(storage.requests).toContainEqual({ method: 'GET', path: '/storage/v1/b/other-bucket/o/x' });
  });

  it('rejects writes and list features it does not implement', async () => {
    const upload = await fetch(`${storage.baseUrl}/storage/v1/b/${BUCKET}/o`, { method: 'POST', body: 'x' });
    expect(upload.status).toBe(405);
    const glob = await fetch(`${storage.baseUrl}/storage/v1/b/${BUCKET}/o?matchGlob=**.json`);
    expect(glob.status).toBe(400);
    expect(((await glob.json()) as any).error.errors[0].reason).toBe('invalid');
  });
});
