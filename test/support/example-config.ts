// The repo config the example runbooks (runbooks/examples/*) are planned against in tests. Fixed here, so the
// plan-comment snapshot and the PR-phase tests do not move when this repository's own .github/opsgate.yml does.
export const EXAMPLE_CONFIG_TEXT = `version: 1
targets:
  web-fleet:
    ssm: { tags: { Role: web, Env: prod }, max-concurrency: "10%", max-errors: "0" }
    region: ap-northeast-1
  dev-box:
    local: {}
databases:
  billing: { engine: postgres, target: dev-box, url-env: BILLING_DATABASE_URL }
policy:
  approvals: { required: 1, from: ["@acme/sre"] }
  sql-rules: { update-without-where: error, delete-without-where: error, drop: error, truncate: warning }
`;
