/**
 * @module test/web/ui
 * What a member does in the web app, as a person would: by labels and button names.
 */
import type { BrowserMember } from '../support/browser.js';

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

export async function openChatFromList(member: BrowserMember, title: RegExp): Promise<void> {
  await openTab(member, 'Chats');
  await member.page.getByRole('button', { name: title }).click();
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
