// The region codes libphonenumber knows (its getCountries()), as a plain list: settings check
// default_region and DIAL3CX_REGION where they are read, so the error names the key or variable,
// and config.ts stays free of libphonenumber's metadata, which would slow every command's start.
// regions.test.ts keeps the list in step with the installed libphonenumber.

const KNOWN_REGIONS = new Set(
  (
    "AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ " +
    "BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO " +
    "DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU " +
    "GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW " +
    "KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
    "MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT " +
    "PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA " +
    "TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK " +
    "YE YT ZA ZM ZW"
  ).split(" "),
);

/** True for an upper-case region code such as "DE" that libphonenumber can parse numbers for. */
export function isKnownRegion(code: string): boolean {
  return KNOWN_REGIONS.has(code);
}

/** Every known region code, sorted (for the test that compares with libphonenumber). */
export function knownRegions(): string[] {
  return [...KNOWN_REGIONS].sort();
}
