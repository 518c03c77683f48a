/** Rules for the routing screens only, appended to the console's stylesheet. */
export const routingStyles = '';
