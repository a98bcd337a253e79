/**
 * @module calls/same-network: whether a peer's private address lies in a network this device is
 * itself on. Candidates carry no netmask, so the network is taken as the address's /24 (IPv4)
 * or /64 (IPv6): the usual LAN. A wider LAN (a /16 office network) then connects through
 * server-reflexive or relay candidates instead: the rule errs toward sending nothing.
 */
import type { IpAddress } from './ip-address.js';

/** Leading IPv4 octets and IPv6 groups that name one network. */
export const IPV4_NETWORK_OCTETS = 3;
export const IPV6_NETWORK_GROUPS = 4;

export function sameNetwork(a: IpAddress, b: IpAddress): boolean {
  if (a.family === 4 && b.family === 4) return a.octets.slice(0, IPV4_NETWORK_OCTETS).every((octet, i) => octet === b.octets[i]);
  if (a.family === 6 && b.family === 6) return a.groups.slice(0, IPV6_NETWORK_GROUPS).every((group, i) => group === b.groups[i]);
  return false;
}

/** True when `remote` shares a network with one of this device's own host addresses. */
export function sharesNetwork(remote: IpAddress, localHosts: readonly IpAddress[]): boolean {
  return localHosts.some((local) => sameNetwork(remote, local));
}
