// Which AWS partition a region belongs to (the SDK's partitions table, by region pattern). Pure.
const PARTITION_OF_REGION: [RegExp, string][] = [
  [/^cn-\w+-\d+$/, 'aws-cn'],
  [/^us-gov-\w+-\d+$/, 'aws-us-gov'],
  [/^us-iso-\w+-\d+$/, 'aws-iso'],
  [/^us-isob-\w+-\d+$/, 'aws-iso-b'],
  [/^us-isof-\w+-\d+$/, 'aws-iso-f'],
  [/^eu-isoe-\w+-\d+$/, 'aws-iso-e'],
  [/^eusc-de-\w+-\d+$/, 'aws-eusc'],
  [/^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/, 'aws'],
];

export function partitionOf(region: string): string | undefined {
  return PARTITION_OF_REGION.find(([pattern]) => pattern.test(region))?.[1];
}
