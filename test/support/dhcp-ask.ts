/**
 * Run by test/integration/dhcp-option66.test.ts inside a network namespace (`ip netns exec`): asks the
 * namespace's DHCP server for option 66 as lampfield does (the real platform), and prints what came as
 * one JSON line: `{"option66": …}` or `{"error": "…"}`.
 */
import { realPlatform } from '../../src/real-platform.ts';

const ms = Number(process.argv[2] ?? '3000');
realPlatform()
  .askDhcpOption66(ms)
  .then(
    (option66) => console.log(JSON.stringify({ option66 })),
    (error: unknown) =>
      console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) })),
  );
