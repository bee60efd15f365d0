/**
 * `npm run bench [name...]`: runs the named benchmarks (all when none is named) and prints figures.
 * Each benchmark starts the real services it measures and stops them when done.
 */
import api from './api';
import distribution from './distribution';
import invalidation from './invalidation';
import registryBench from './registry';
import notifications from './notifications';
import walletBench from './wallet';
import dciSubscriptions from './dciSubscriptions';
import { stopAllOnInterrupt } from './interrupt';

type Bench = () => Promise<void>;

const BENCHES: Record<string, Bench> = {
  distribution,
  invalidation,
  registry: registryBench,
  wallet: walletBench,
  api,
  notifications,
  'dci-subscriptions': dciSubscriptions,
};

async function main(): Promise<void> {
  stopAllOnInterrupt();
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ') || 'none'}`);
  for (const name of names.length ? names : Object.keys(BENCHES)) {
    console.log(`\n=== ${name} ===`);
    await BENCHES[name]();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
