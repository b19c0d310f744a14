/**
 * How the node host names its platform in `connect`: the gateway's command policy reads
 * `client.platform` (`linux`, `macos`, `windows`) and `client.deviceFamily`.
 */

/** Platform and device family of this machine. */
export function hostPlatform(platform: NodeJS.Platform = process.platform): { platform: string; deviceFamily: string } {
  switch (platform) {
    case 'darwin':
      return { platform: 'macos', deviceFamily: 'Mac' };
    case 'win32':
      return { platform: 'windows', deviceFamily: 'Windows' };
    case 'linux':
      return { platform: 'linux', deviceFamily: 'Linux' };
    default:
      return { platform, deviceFamily: platform };
  }
}
