/** The workstation's version, recorded in every scan result and case export (engine and service name it). */
export const TOOL_VERSION = '0.1.0';
