// The CI server's metricore config (createHostFromConfig reads it): per-route HTTP latency and
// process metrics from the file, plugin-builds added in code (it needs the database client).
// The label policy is what a multi-tenant CI server needs before its first deployment.
export default {
  plugins: ['@metricore/plugin-http', '@metricore/plugin-process'],
  labelPolicy: {
    // The 5 busiest orgs by recent activity get their own series, the rest are __other__. A demoted
    // org's series stays for 10 minutes, so sums over org stay exact over any demo run's range.
    org: { topN: 5, rerankIntervalMs: 2000, demotedTtl: '10m' },
    // Caches are opt-in: team caches fold into __other__.
    cache: { allow: ['main', 'nixpkgs'] },
    // Projects are summed away (an org has many).
    project: { drop: true },
  },
};
