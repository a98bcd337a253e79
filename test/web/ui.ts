/**
 * @module test/web/ui
 * What a member does in the web app, as a person would: by labels and button names.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BrowserMember, SCREENSHOTS } from '../support/browser.js';
import { REPO_ROOT } from '../support/paths.js';

export async function registerInBrowser(member: BrowserMember): Promise<void> {
  const page = member.page;
  await page.getByLabel('Username').fill(member.name);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel(`Signed in as ${member.name}`).waitFor({ timeout: 30_000 });
}

export async function openTab(member: BrowserMember, tab: 'Chats' | 'Contacts' | 'Calls' | 'Settings'): Promise<void> {
  await member.page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: tab }).click();
}

export async function requestContact(member: BrowserMember, username: string, note: string): Promise<void> {
  await openTab(member, 'Contacts');
  const page = member.page;
  await page.getByLabel('Their username').fill(username);
  await page.getByLabel(/A short note/).fill(note);
  await page.getByRole('button', { name: 'Send request' }).click();
  await page.getByText(`Request sent to ${username}.`).waitFor();
}

export async function acceptContact(member: BrowserMember, username: string): Promise<void> {
  await openTab(member, 'Contacts');
  await member.page.getByRole('button', { name: `Accept ${username}` }).click({ timeout: 30_000 });
  await member.page.getByRole('list', { name: 'Contacts' }).getByText(username).waitFor();
}

export async function openDirectChat(member: BrowserMember, peer: string): Promise<void> {
  await openTab(member, 'Contacts');
  await member.page.getByRole('button', { name: `Message ${peer}` }).click();
  await member.page.getByRole('heading', { name: peer }).waitFor();
}

/**
 * Opens a chat from the list and waits until its header names it. Without the wait, text typed
 * next could land in the composer of the chat shown before (on a loaded machine the web-typing
 * scenario once sent its "are you there?" there, and the other member never saw it).
 */
export async function openChatFromList(member: BrowserMember, title: RegExp): Promise<void> {
  await openTab(member, 'Chats');
  const row = member.page.getByRole('button', { name: title });
  const name = ((await row.textContent()) ?? '').trim();
  await row.click();
  await member.page.getByRole('heading', { name, exact: true }).first().waitFor();
}

export async function sendMessage(member: BrowserMember, text: string): Promise<void> {
  const composer = member.page.getByLabel('Message', { exact: true });
  await composer.fill(text);
  await composer.press('Enter');
  await member.page.locator('.message.out', { hasText: text }).waitFor();
}

/** The delivery state the sender's bubble shows for `text`. */
export function statusOf(member: BrowserMember, text: string): Promise<string | null> {
  return member.page.locator('.message.out', { hasText: text }).getAttribute('data-status');
}

/** Picks a file with the chat's "Attach a file" button, as a person would with the system's file chooser. */
export async function attachFile(member: BrowserMember, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  const [chooser] = await Promise.all([member.page.waitForEvent('filechooser'), member.page.getByRole('button', { name: 'Attach a file' }).click()]);
  await chooser.setFiles(file);
  await member.page.getByRole('group', { name: 'File to send' }).waitFor();
}

/** Records a voice note from the (fake) microphone for about `ms` and sends it. */
export async function recordVoiceNote(member: BrowserMember, ms: number): Promise<void> {
  const page = member.page;
  await page.getByRole('button', { name: 'Record a voice note' }).click();
  const recording = page.getByRole('group', { name: 'Recording a voice note' });
  await recording.waitFor();
  const seconds = Math.floor(ms / 1000);
  await recording.getByText(`Recording 0:${String(seconds).padStart(2, '0')}`).waitFor({ timeout: ms + 10_000 });
  await page.waitForTimeout(ms - seconds * 1000);
  await recording.getByRole('button', { name: 'Stop and send' }).click();
  await recording.waitFor({ state: 'hidden' });
}

/** What the page (not its workers) decoded or loaded, counted by `instrumentDecoding`. */
export interface DecodeCounters {
  readonly createImageBitmap: number;
  /** `src`/`srcset` set on any <img>, and those with blob: or data: URLs. */
  readonly imgSrc: number;
  readonly imgBlobOrData: number;
  /** Style attributes or properties with a blob:/data: `url(...)`. */
  readonly cssBlobOrData: number;
  /** `src`/`srcObject` set on an <audio>/<video>/<source>, with the URLs' schemes. */
  readonly mediaSrc: number;
  readonly mediaUrls: readonly string[];
  readonly newAudio: number;
  /** iframe, embed and object elements created. */
  readonly frames: number;
  /** URL.createObjectURL calls, by the blob's type. */
  readonly objectUrls: readonly string[];
  /** Bitmaps handed to a canvas (the worker's pixels arriving). */
  readonly canvasBitmaps: number;
}

/**
 * An init script (runs before the app in the page, not in workers): counts every way the page
 * itself could decode or load received bytes. Read with `decodeCounters`.
 */
export function instrumentDecoding(): void {
  const counts = {
    createImageBitmap: 0, imgSrc: 0, imgBlobOrData: 0, cssBlobOrData: 0, mediaSrc: 0, mediaUrls: [] as string[], newAudio: 0, frames: 0,
    objectUrls: [] as string[], canvasBitmaps: 0, media: [] as HTMLMediaElement[],
  };
  (window as unknown as { __decode: typeof counts }).__decode = counts;
  const risky = (value: unknown) => /^\s*(blob|data):/i.test(String(value));
  const onImg = (value: unknown) => {
    counts.imgSrc += 1;
    if (risky(value)) counts.imgBlobOrData += 1;
  };
  const onMedia = (element: Element, value: unknown) => {
    counts.mediaSrc += 1;
    counts.mediaUrls.push(String(value).slice(0, 5));
    if (element instanceof HTMLMediaElement && !counts.media.includes(element)) counts.media.push(element);
  };
  const wrapSetter = (proto: object, prop: string, onSet: (element: Element, value: unknown) => void) => {
    const descriptor = Object.getOwnPropertyDescriptor(proto, prop);
    if (!descriptor?.set) return;
    const set = descriptor.set;
    Object.defineProperty(proto, prop, { ...descriptor, set(this: Element, value: unknown) { onSet(this, value); set.call(this, value); } });
  };
  const nativeBitmap = window.createImageBitmap;
  window.createImageBitmap = function (...args: Parameters<typeof createImageBitmap>) {
    counts.createImageBitmap += 1;
    return nativeBitmap.apply(window, args);
  } as typeof createImageBitmap;
  wrapSetter(HTMLImageElement.prototype, 'src', (_e, v) => onImg(v));
  wrapSetter(HTMLImageElement.prototype, 'srcset', (_e, v) => onImg(v));
  wrapSetter(HTMLMediaElement.prototype, 'src', onMedia);
  wrapSetter(HTMLMediaElement.prototype, 'srcObject', onMedia);
  wrapSetter(HTMLSourceElement.prototype, 'src', onMedia);
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (this: Element, name: string, value: string) {
    const attribute = name.toLowerCase();
    if ((attribute === 'src' || attribute === 'srcset') && this instanceof HTMLImageElement) onImg(value);
    if (attribute === 'src' && (this instanceof HTMLMediaElement || this instanceof HTMLSourceElement)) onMedia(this, value);
    if (attribute === 'style' && /url\(\s*['"]?\s*(blob|data):/i.test(value)) counts.cssBlobOrData += 1;
    return setAttribute.call(this, name, value);
  };
  const setProperty = CSSStyleDeclaration.prototype.setProperty;
  CSSStyleDeclaration.prototype.setProperty = function (this: CSSStyleDeclaration, name: string, value: string | null, priority?: string) {
    if (value && /url\(\s*['"]?\s*(blob|data):/i.test(value)) counts.cssBlobOrData += 1;
    return setProperty.call(this, name, value, priority);
  };
  for (const prop of ['backgroundImage', 'background']) {
    wrapSetter(CSSStyleDeclaration.prototype, prop, (_e, v) => { if (/url\(\s*['"]?\s*(blob|data):/i.test(String(v))) counts.cssBlobOrData += 1; });
  }
  const NativeAudio = window.Audio;
  const CountedAudio = function (src?: string) {
    counts.newAudio += 1;
    const audio = new NativeAudio(src);
    counts.media.push(audio);
    return audio;
  } as unknown as typeof Audio;
  CountedAudio.prototype = NativeAudio.prototype;
  window.Audio = CountedAudio;
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
    if (['iframe', 'embed', 'object', 'frame'].includes(String(tag).toLowerCase())) counts.frames += 1;
    return createElement.call(this, tag, options);
  } as typeof Document.prototype.createElement;
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (object: Blob | MediaSource) => {
    counts.objectUrls.push(object instanceof Blob ? object.type || '(untyped)' : 'MediaSource');
    return createObjectURL.call(URL, object);
  };
  const transfer = ImageBitmapRenderingContext.prototype.transferFromImageBitmap;
  ImageBitmapRenderingContext.prototype.transferFromImageBitmap = function (this: ImageBitmapRenderingContext, bitmap: ImageBitmap | null) {
    counts.canvasBitmaps += 1;
    return transfer.call(this, bitmap);
  };
}

export function decodeCounters(member: BrowserMember): Promise<DecodeCounters> {
  return member.page.evaluate(() => {
    const { media: _media, ...counts } = (window as unknown as { __decode: DecodeCounters & { media: unknown } }).__decode;
    return JSON.parse(JSON.stringify(counts)) as DecodeCounters;
  });
}

/** The bubble of the message whose text starts with `text` (found by its menu button's name, so a reply quoting it is not mistaken for it). */
export function bubbleOf(member: BrowserMember, text: string) {
  const page = member.page;
  return page.locator('li.message', { has: page.getByRole('button', { name: `Message actions: ${text.slice(0, 40)}`, exact: true }) });
}

/** Opens a message's menu as a person would: pointing at the bubble, then its menu button. */
export async function openMessageMenu(member: BrowserMember, text: string): Promise<void> {
  const bubble = bubbleOf(member, text);
  await bubble.hover();
  await bubble.getByRole('button', { name: /^Message actions/ }).click();
  await member.page.getByRole('menu', { name: 'Message actions' }).waitFor();
}

/** Chooses `item` ("Reply", "Edit", "React with 👍"...) from a message's menu. */
export async function messageAction(member: BrowserMember, text: string, item: string): Promise<void> {
  await openMessageMenu(member, text);
  await member.page.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name: item, exact: true }).click();
}

/** Takes a screenshot (test-output); with SOTTO_UPDATE_DOCS_SCREENSHOTS=1 also under docs/screenshots (a test run must not rewrite tracked files otherwise). */
export async function keepScreenshot(member: BrowserMember, name: string): Promise<void> {
  await member.screenshot(name);
  if (process.env['SOTTO_UPDATE_DOCS_SCREENSHOTS'] !== '1') return;
  const docs = join(REPO_ROOT, 'docs', 'screenshots');
  mkdirSync(docs, { recursive: true });
  copyFileSync(join(SCREENSHOTS, `${name}.png`), join(docs, `${name}.png`));
}

/** CLI members who each ask `member` (in the browser) to be a contact, accepted there, and synced: the usual start of a chat scenario. */
export async function befriendFromCli(member: BrowserMember, cliMembers: readonly { name: string; member: { ok(args: string[]): Promise<unknown> } }[], serverUrl: string): Promise<void> {
  for (const c of cliMembers) await c.member.ok(['register', c.name, '--server', serverUrl]);
  for (const c of cliMembers) await c.member.ok(['contacts', 'request', member.name, `${c.name[0]!.toUpperCase()}${c.name.slice(1)} here`]);
  for (const c of cliMembers) await acceptContact(member, c.name);
  for (const c of cliMembers) await c.member.ok(['sync']);
}

/** Alice in a desktop-sized browser and Bob in a phone-sized one, registered and contacts: the start of the two-browser scenarios. */
export async function openDesktopAndPhoneContacts(browser: Browser, serverUrl: string): Promise<{ alice: BrowserMember; bob: BrowserMember }> {
  const alice = await BrowserMember.open(browser, 'alice', serverUrl, { width: 1100, height: 760 });
  const bob = await BrowserMember.open(browser, 'bob', serverUrl, { width: 390, height: 780 });
  await registerInBrowser(alice);
  await registerInBrowser(bob);
  await requestContact(alice, 'bob', 'Alice here');
  await acceptContact(bob, 'alice');
  return { alice, bob };
}
