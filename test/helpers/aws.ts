/** An environment in which the AWS SDK finds no credentials at all (no keys, profile, files or instance metadata). */
export const noAwsCredentials = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_PROFILE: '',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const
