import { AppError } from '../../errors.js';

/**
 * The countries a buyer can pick on the order form, and the currency an order starts in for each.
 * Codes are ISO 3166-1 alpha-2, upper case, as routing rules and Stripe write them.
 */

/**
 * Every ISO 3166-1 alpha-2 code, plus XK (Kosovo, user-assigned but used by Stripe and banks),
 * less CU, IR, KP and SY: comprehensively sanctioned, so no card payment from there goes through.
 */
const countryCodes: readonly string[] = `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET
FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
ID IE IL IM IN IO IQ IS IT JE JM JO JP KE KG KH KI KM KN KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ
OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT
ZA ZM ZW`.split(/\s+/);

const knownCodes: ReadonlySet<string> = new Set(countryCodes);

let namesInOrder: Array<[string, string]> | undefined;

/** [code, English name] for every country a buyer can pay from, sorted by name. */
export function countryNames(): Array<[string, string]> {
  namesInOrder ??= countryCodes
    .map((code): [string, string] => [code, countryName(code)])
    .sort(([, first], [, second]) => first.localeCompare(second, 'en'));
  return namesInOrder.map(([code, name]) => [code, name]);
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/** `DE` -> `Germany`; anything else is shown as it is (Intl throws on a malformed code). */
export function countryName(code: string): string {
  return knownCodes.has(code) ? (regionNames.of(code) ?? code) : code;
}

/** Upper-case ISO alpha-2 codes only (`DE`, not `de`): the form that routing compares. */
export function isCountryCode(code: string): boolean {
  return knownCodes.has(code);
}

const euroCountries = [
  // The euro area (Bulgaria joined on 1 January 2026).
  'AT BE BG CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK',
  // Outside the EU or overseas, paying in euro.
  'AD AX BL GF GP ME MC MF MQ PM RE SM VA XK YT',
].join(' ');

/** Country -> the currency its buyers pay in, for the currencies Stripe presents most. */
export const countryCurrencies: Readonly<Record<string, string>> = Object.freeze({
  ...Object.fromEntries(euroCountries.split(' ').map((code) => [code, 'eur'])),
  ...currencyOf('usd', 'US AS EC GU MH FM MP PR PW SV TC TL UM VG VI BQ'),
  ...currencyOf('gbp', 'GB GG IM JE'),
  ...currencyOf('cad', 'CA'),
  ...currencyOf('aud', 'AU CC CX KI NF NR TV'),
  ...currencyOf('nzd', 'NZ CK NU PN TK'),
  ...currencyOf('jpy', 'JP'),
  ...currencyOf('chf', 'CH LI'),
  ...currencyOf('sek', 'SE'),
  ...currencyOf('nok', 'NO SJ'),
  ...currencyOf('dkk', 'DK FO GL'),
  ...currencyOf('pln', 'PL'),
  ...currencyOf('czk', 'CZ'),
  ...currencyOf('huf', 'HU'),
  ...currencyOf('ron', 'RO'),
  ...currencyOf('isk', 'IS'),
  ...currencyOf('try', 'TR'),
  ...currencyOf('sgd', 'SG'),
  ...currencyOf('hkd', 'HK'),
  ...currencyOf('cny', 'CN'),
  ...currencyOf('twd', 'TW'),
  ...currencyOf('krw', 'KR'),
  ...currencyOf('inr', 'IN'),
  ...currencyOf('idr', 'ID'),
  ...currencyOf('myr', 'MY'),
  ...currencyOf('php', 'PH'),
  ...currencyOf('thb', 'TH'),
  ...currencyOf('aed', 'AE'),
  ...currencyOf('sar', 'SA'),
  ...currencyOf('ils', 'IL'),
  ...currencyOf('zar', 'ZA'),
  ...currencyOf('mxn', 'MX'),
  ...currencyOf('brl', 'BR'),
  ...currencyOf('ars', 'AR'),
  ...currencyOf('clp', 'CL'),
  ...currencyOf('cop', 'CO'),
  ...currencyOf('pen', 'PE'),
});

function currencyOf(currency: string, countries: string): Record<string, string> {
  return Object.fromEntries(countries.split(' ').map((code) => [code, currency]));
}

/**
 * The currency an order starts in: the buyer's own when the offer is sold in it, else US dollars,
 * else euros, else the offer's first currency. `available` holds the offer's currencies.
 */
export function currencyForCountry(country: string, available: string[]): string {
  const own = countryCurrencies[country.toUpperCase()];
  for (const candidate of [own, 'usd', 'eur']) {
    if (candidate !== undefined && available.includes(candidate)) return candidate;
  }
  const first = available[0];
  if (first === undefined) {
    throw new AppError('internal', 'The offer has no price in any currency to choose from.');
  }
  return first;
}

/**
 * `currencyForCountry` for every country at once, for a page that follows the buyer's choice of
 * country: the currency of a country without a buyer's country, and those countries that differ.
 */
export function currenciesByCountry(available: string[]): {
  fallback: string;
  byCountry: Record<string, string>;
} {
  const fallback = currencyForCountry('', available);
  const byCountry: Record<string, string> = {};
  for (const code of countryCodes) {
    const currency = currencyForCountry(code, available);
    if (currency !== fallback) byCountry[code] = currency;
  }
  return { fallback, byCountry };
}
