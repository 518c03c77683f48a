/** Rules for the operations screens only, appended to the console's stylesheet. */
export const operationsStyles = '';
