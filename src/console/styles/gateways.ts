/** Rules for the gateways screens only, appended to the console's stylesheet. */
export const gatewaysStyles = '';
