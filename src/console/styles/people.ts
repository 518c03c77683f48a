/** Rules for the people screens only, appended to the console's stylesheet. */
export const peopleStyles = '';
