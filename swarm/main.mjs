#!/usr/bin/env node
// @ts-check
// `npm run swarm -- --peers N …`: N headless Chromium nodes on a doin network, one JSON line of
// status per node per interval (see swarm/swarm.mjs and README, "Headless contributors").
// First: Node 20 lacks Promise.withResolvers, which libp2p (the local relay) needs.
import '../relay/polyfills.js';
import { main } from './swarm.mjs';

process.exit(await main(process.argv.slice(2)));
