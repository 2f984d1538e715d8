/**
 * Known networks. A network is named by its genesis parameters (its id is the genesis hash); the
 * page joins the network its relay serves at /network, and uses the bundled local test net when
 * the relay serves none (e.g. a page from another origin given ?relay=).
 */
import localTestnet from '../../networks/local-testnet.json' with { type: 'json' };
import { type NetworkParams, NetworkParamsSchema, parse } from '../core/schemas';

function checked(input: unknown, name: string): NetworkParams {
  const result = parse(NetworkParamsSchema, input);
  if (!result.ok) throw new Error(`network ${name} is malformed: ${result.error}`);
  return result.value;
}

/** The network `npm start` runs: three built-in domains, a 15 s block target. */
export const LOCAL_TESTNET: NetworkParams = checked(localTestnet, 'local-testnet');

/** Validates network parameters from a relay or a file; throws a readable error. */
export function parseNetworkParams(input: unknown, source: string): NetworkParams {
  return checked(input, `from ${source}`);
}
