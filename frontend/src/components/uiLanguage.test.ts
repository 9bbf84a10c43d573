import type { Household, User } from "../api/client";
import { uiLanguage } from "./Layout";

const home = (id: number, language: string) => ({ id, language }) as Household;
const person = (language: string | null) => ({ language }) as User;

test("the person's own language wins over the household's", () => {
  expect(uiLanguage(person("en"), [home(1, "ja")], "/h/1/today")).toBe("en");
});

test("else the household the page is in, or outside one the first", () => {
  const both = [home(1, "ja"), home(2, "en")];
  expect(uiLanguage(person(null), both, "/h/2/today")).toBe("en");
  expect(uiLanguage(person(null), both, "/account")).toBe("ja");
});
