// The load generator: a child process of bench/peers.mjs (started under `taskset -c 1`) that runs
// one workload against one peer and sends back its figures. Being its own process keeps the
// generator's CPU (process.cpuUsage) apart from the parent's and gives each workload fresh sockets
// and heap. The server it starts is pinned to core 0; its pid goes to the parent first, so the
// parent can still stop it if this process dies.
import { PEERS } from './adapters.mjs';
import { OPTIONS, WORKLOADS } from './workloads.mjs';

process.once('message', async ({ peer, workload, mode, serverCpu }) => {
  try {
    const result = await WORKLOADS[workload](PEERS[peer], OPTIONS[mode][workload], {
      cpu: serverCpu,
      onServer: (pid) => process.send({ serverPid: pid }),
    });
    process.send({ result }, () => process.exit(0));
  } catch (error) {
    process.send({ error: error.stack ?? String(error) }, () => process.exit(1));
  }
});
