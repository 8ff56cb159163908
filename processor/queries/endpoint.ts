/**
 * An instance's query endpoint, "host:port" (Kafka Streams' application.server): what it
 * advertises to the group, and where the others forward queries for its tasks.
 */
export interface Endpoint {
  /** A host name, an IPv4 address, or an IPv6 address in brackets ("[::1]"). */
  readonly host: string;
  readonly port: number;
}

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_IN_BRACKETS = /^\[[0-9A-Fa-f:.]+\]$/;
/** Addresses that mean "every interface": a peer cannot reach an instance there. */
const WILDCARDS = new Set(['0.0.0.0', '[::]', '[0:0:0:0:0:0:0:0]']);

/** Why `text` is not an endpoint the other instances can reach, or undefined when it is one. */
export function endpointProblem(text: string): string | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return `'${text}' is not host:port`;
  const host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65_535)
    return `'${text}': the port must be a number from 1 to 65535`;
  if (WILDCARDS.has(host))
    return `'${text}': ${host} is every interface, not an address the other instances can reach; advertise this host's name or address`;
  if (!HOST_NAME.test(host) && !IPV6_IN_BRACKETS.test(host))
    return `'${text}': '${host}' is not a host name, an IPv4 address or an IPv6 address in brackets`;
  return undefined;
}

/** The endpoint of a valid "host:port" (endpointProblem() says nothing about it). */
export function parseEndpoint(text: string): Endpoint {
  const problem = endpointProblem(text);
  if (problem !== undefined) throw new TypeError(problem);
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
}
