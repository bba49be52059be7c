/**
 * What the README's CLI walkthrough needs from the testbed beyond its servers: hosted zones for the
 * names it uses (delegated in the testbed's public DNS, so `doctor` passes) and a default CA, so
 * `certbeat add` without `--ca` goes to the testbed's pebble instead of the real Let's Encrypt.
 * `npm run testbed` (test/testbed/cli.ts) and test/cli/walkthrough.test.ts both use it, so the
 * exports a reader pastes are the ones the test runs the walkthrough with.
 */
import { GetHostedZoneCommand } from '@aws-sdk/client-route-53';
import { DEFAULT_CA_ENV } from '../../cli/commands/add.js';
import type { Testbed } from '../testbed/testbed.js';

/** The zones the README's walkthrough names live in. */
export const WALKTHROUGH_ZONES = ['example.test'];

/** Creates the walkthrough's zones; returns their ids and the variables to export besides `tb.env`. */
export async function prepareWalkthrough(tb: Testbed): Promise<{ zones: Array<[string, string]>; env: Record<string, string> }> {
  const zones: Array<[string, string]> = [];
  for (const name of WALKTHROUGH_ZONES) {
    const id = await tb.route53.createZone(name);
    const zone = await tb.clients().route53.send(new GetHostedZoneCommand({ Id: id }));
    // The registrar's side: the public DNS names the hosted zone's servers, as after a real delegation.
    tb.dns.setRecords(name, 'NS', zone.DelegationSet?.NameServers ?? []);
    zones.push([name, id]);
  }
  return { zones, env: { [DEFAULT_CA_ENV]: tb.directoryUrl } };
}
