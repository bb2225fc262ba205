/** The seed's 20 flags: the twenty most populous countries, in its order. */
export const COUNTRIES = [
  'CN',
  'IN',
  'US',
  'ID',
  'BR',
  'PK',
  'NG',
  'BD',
  'JP',
  'MX',
  'PH',
  'VN',
  'ET',
  'EG',
  'DE',
  'IR',
  'TR',
  'CD',
  'FR',
  'GR',
] as const;

export type CountryCode = (typeof COUNTRIES)[number];
