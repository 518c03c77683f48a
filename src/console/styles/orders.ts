/** Rules for the orders screens only, appended to the console's stylesheet. */
export const ordersStyles = '';
